"""Files that are whole or not there: atomic writes, folders made plainly, staged folders.

Every writer goes through ``atomic_write``: a failed or interrupted write never
leaves a half-written file or clobbers an old one. Every temporary file or
folder convgif makes is named ``.convgif-<pid>-<token>...`` beside its target:
short (a target name of 255 bytes still fits), recognisable, and owned. What a
killed run left (its pid is no longer alive) is removed by the next write into
that folder, and so is what earlier versions left (names without a pid) once
nothing in it has changed for an hour.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from convgif.errors import NAME, ConvGifError, refuse

FRAME_FORMATS = ("png", "pdf", "svg")  # of the numbered frames in a frames folder
TEMP_PREFIX = ".convgif-"
TEMP_NAME = re.compile(r"\.convgif-(\d+)-[0-9a-f]{8}(\.tmp(\.\w{1,8})?|\.stage|\.scratch)$")
# Names of earlier versions, which carried no pid: tempfile's 8 characters after the
# target's own name (``.t.gif.k3_x9q1z.tmp.gif``) or after ``.convgif-`` (staging folders)
# and ``.convgif-npz-`` (a trace's scratch). Without a pid a dead owner cannot be told from
# a live one, so such a name is removed only when nothing in it changed for an hour
# (``OLD_STALE_SECONDS``): a live writer of those versions kept touching what it wrote.
OLD_TEMP_FILE = re.compile(r"\.(.+)\.[a-z0-9_]{8}\.tmp(\.\w+)$")
OLD_EXTENSIONS = frozenset(  # what those versions wrote: another tool's .tmp is left alone
    ".gif .png .apng .webp .mp4 .svg .pdf .csv .json .jsonl .npz .tex".split())
OLD_TEMP_FOLDER = re.compile(r"\.convgif-(npz-)?[a-z0-9_]{8}$")
OLD_STALE_SECONDS = 3600
NAME_MAX = 255  # bytes in one file name, on every common file system
PATH_MAX = 4096  # bytes in a whole path (Linux); a longer one cannot be opened
MAX_NEW_FOLDERS = 1_000_000  # no real bound: PATH_MAX (4,096 bytes) stops a path far sooner
# what a write fails with for want of room or rights, said as the target's fault
WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO, errno.EACCES,
                errno.EPERM, errno.ENAMETOOLONG, errno.ENOTDIR)


def _why(error: OSError) -> str:
    return error.strerror or str(error)


def _cannot_write(param: str, target, error: OSError) -> ConvGifError:
    """One line naming the argument, the file and what the system said (a file staged
    for a folder is said as the folder the user named)."""
    folder = Path(os.fspath(target)).parent
    if TEMP_NAME.match(folder.name) and folder.name.endswith(".stage"):
        target = folder.parent
    hint = " (free some space, or write elsewhere)" if error.errno in (
        errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else ""
    return ConvGifError(f"{NAME}={os.fspath(target)!r} cannot be written: {_why(error)}{hint}",
                        param)


def check_target(path, param: str = "path") -> Path:
    """``path`` as a file to write, or a ``ConvGifError`` about ``param`` saying why not:
    a name ending in a separator, a file name over 255 bytes, a folder in the way."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if not text or text.endswith((os.sep, "/")) or (os.altsep and text.endswith(os.altsep)):
        raise refuse(param, text, "names a folder (it ends in a separator): name a file")
    target = Path(text)
    for part in target.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise refuse(param, text, f"has a name of {len(os.fsencode(part))} bytes "
                         f"(the limit is {NAME_MAX}): use a shorter name")
    whole = len(os.fsencode(os.path.abspath(target)))
    if whole >= PATH_MAX:
        raise refuse(param, text, f"is a path of {whole:,} bytes (the limit is {PATH_MAX - 1:,}):"
                     " use a shorter one")
    if os.path.isdir(target):
        raise refuse(param, text, "is a folder: name a file")
    return target


def make_folder(folder, param: str = "path", given=None) -> Path:
    """Create ``folder`` and its missing parents, or say plainly why it cannot be (naming
    ``param``, given as ``given``: by default the folder).

    Iterative (a path may nest thousands of new folders), and bounded by the path's length.
    """
    folder = Path(os.fspath(folder))
    given = str(folder) if given is None else os.fspath(given)
    missing = []
    probe = folder
    while not os.path.isdir(probe) and probe != probe.parent and len(missing) < MAX_NEW_FOLDERS:
        missing.append(probe)
        probe = probe.parent
    for step in reversed(missing):
        try:
            os.mkdir(step)
        except FileExistsError:
            if not os.path.isdir(step):
                raise refuse(param, given, f"cannot be written: {str(step)!r} is a file, "
                             "not a folder") from None
        except OSError as error:
            raise refuse(param, given, f"cannot be written: the folder {str(step)!r} cannot "
                         f"be made: {_why(error)}") from None
    return folder


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (on this machine)."""
    if pid <= 0:
        return True  # not a name we made: leave it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # another user's process, or not a pid at all: leave it
    return True


def remove_stale(folder) -> list[str]:
    """Remove the temporary files and folders of dead convgif runs from ``folder``; their
    names. A name whose pid is alive (this process's, or another run's) is left alone."""
    if os.name != "posix":
        return []
    removed = []
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(TEMP_PREFIX)]
    except OSError:
        return []
    for entry in entries:
        match = TEMP_NAME.match(entry.name)
        if match is None or _alive(int(match[1])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(entry.name)
    return removed + _remove_old_versions(folder)


def _old_version_name(entry: os.DirEntry) -> bool:
    """Whether ``entry`` is named as an earlier version named its temporary files and
    folders, and is of that kind (a plain file, or a folder of plain files)."""
    if entry.is_symlink():
        return False
    if entry.is_dir(follow_symlinks=False):
        return OLD_TEMP_FOLDER.match(entry.name) is not None
    match = OLD_TEMP_FILE.match(entry.name)
    # mkstemp's prefix was the target's name and its suffix the target's extension
    return (match is not None and entry.is_file(follow_symlinks=False)
            and match[2].lower() in OLD_EXTENSIONS and Path(match[1]).suffix == match[2])


def _untouched_since(entry: os.DirEntry, cutoff: float) -> bool:
    """Nothing in ``entry`` (its own mtime, or for a folder each of its entries') is newer
    than ``cutoff``, it is ours (our uid), and a folder holds only plain files."""
    info = entry.stat(follow_symlinks=False)
    if info.st_mtime > cutoff or info.st_uid != os.getuid():
        return False
    if not entry.is_dir(follow_symlinks=False):
        return True
    with os.scandir(entry.path) as inside:
        for item in inside:
            if not item.is_file(follow_symlinks=False):
                return False
            if item.stat(follow_symlinks=False).st_mtime > cutoff:
                return False
    return True


def _remove_old_versions(folder) -> list[str]:
    """Remove what earlier versions left (see ``OLD_TEMP_FILE``) and no one touched for an
    hour; their names."""
    cutoff = time.time() - OLD_STALE_SECONDS
    removed = []
    try:
        with os.scandir(folder) as scan:
            entries = [e for e in scan if e.name.startswith(".") and _old_version_name(e)]
    except OSError:
        return []
    for entry in entries:
        with contextlib.suppress(OSError):
            if not _untouched_since(entry, cutoff):
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(entry.name)
    return removed


def temporary_name(kind: str = ".tmp", suffix: str = "") -> str:
    """A fresh temporary name: ``.convgif-<pid>-<8 hex>`` plus ``kind`` and a short
    ``suffix`` (kept for tools that pick a format from it, e.g. ffmpeg's ``.mp4``)."""
    suffix = suffix if re.fullmatch(r"\.\w{1,8}", suffix) else ""
    return f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}{kind}{suffix}"


def _new_temporary(folder: Path, suffix: str) -> Path:
    for _ in range(100):
        tmp = folder / temporary_name(".tmp", suffix)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def _target_mode(target: Path) -> int:
    """The mode the written file gets: an existing target's own, else what open() gives."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(os.stat(target).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_write(path, param: str = "path") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only on success.

    Missing parent folders are created. On any exception (KeyboardInterrupt
    included) the temporary file is removed and an existing ``path`` is left
    untouched. An existing target keeps its mode; a symbolic link is followed: the
    file it points to is replaced and the link stays. A full disk or a refused write is
    a ``ConvGifError`` about ``param``.
    """
    target = check_target(path, param)
    if os.path.islink(target):
        target = Path(os.path.realpath(target))
    make_folder(target.parent, param, path)
    remove_stale(target.parent)
    try:
        tmp = _new_temporary(target.parent, target.suffix)
    except OSError as error:
        raise _cannot_write(param, path, error) from None
    try:
        try:
            yield tmp
            os.chmod(tmp, _target_mode(target))
            os.replace(tmp, target)
        except OSError as error:
            if error.errno not in WRITE_ERRORS:
                raise
            raise _cannot_write(param, path, error) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` (a whole file's bytes) to ``path``, atomically."""
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)


@contextlib.contextmanager
def scratch_folder(folder, param: str = "path") -> Iterator[Path]:
    """A private hidden folder inside ``folder`` for work files, removed afterwards (what a
    killed run leaves is removed by the next write into ``folder``)."""
    scratch = _new_folder(Path(os.fspath(folder)), ".scratch", param)
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _new_folder(folder: Path, kind: str, param: str) -> Path:
    remove_stale(folder)
    for _ in range(100):
        made = folder / temporary_name(kind)
        try:
            os.mkdir(made, 0o700)
            return made
        except FileExistsError:
            continue
        except OSError as error:
            raise refuse(param, str(folder), f"cannot be written into: {_why(error)} "
                         "(is the folder writable?)") from None
    raise refuse(param, str(folder), "cannot be written into: no free temporary name")


@contextlib.contextmanager
def staged_folder(folder, param: str = "path") -> Iterator[Path]:
    """Yield an empty hidden folder inside ``folder`` to write into.

    On success its files replace their namesakes in ``folder`` and any other numbered
    frames (``frame_0007.png``, ``.svg`` or ``.pdf``: an earlier, longer run or another
    format, which LaTeX would pick up) are removed; on any exception (KeyboardInterrupt
    included) ``folder`` keeps what it held. Either way the staging folder goes.
    """
    existed = os.path.isdir(folder)
    folder = make_folder(folder, param)
    stage = _new_folder(folder, ".stage", param)
    try:
        try:
            yield stage
            _publish(stage, folder)
        except OSError as error:
            if error.errno not in WRITE_ERRORS:
                raise
            raise _cannot_write(param, folder, error) from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        if not existed:  # a folder this write made stays only with its frames in it
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    shutil.rmtree(stage, ignore_errors=True)


def _publish(stage: Path, folder: Path) -> None:
    """Move the staged files into ``folder``; drop numbered frames the stage does not hold."""
    names = sorted(p.name for p in stage.iterdir())
    # a folder in the way would stop the moves half-way: refuse before the first
    blocked = [name for name in names if (folder / name).is_dir()]
    if blocked:
        raise ConvGifError(f"cannot write {str(folder / blocked[0])!r}: it is a folder")
    for name in names:
        os.replace(stage / name, folder / name)
    kept = set(names)
    for stale in folder.glob("frame_*"):
        numbered = stale.stem[6:].isdigit() and stale.suffix[1:] in FRAME_FORMATS
        if numbered and stale.name not in kept and stale.is_file():
            stale.unlink()
