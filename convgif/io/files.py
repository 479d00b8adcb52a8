"""Files that are whole or not there: atomic writes, folders made plainly, staged folders.

Every writer goes through ``atomic_write``: a failed or interrupted write never
leaves a half-written file or clobbers an old one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from convgif.errors import ConvGifError

FRAME_FORMATS = ("png", "pdf", "svg")  # of the numbered frames in a frames folder


def make_folder(folder) -> Path:
    """Create ``folder`` and its missing parents, or say plainly why it cannot be."""
    folder = Path(os.fspath(folder))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ConvGifError(
            f"cannot create the folder {str(folder)!r}: a file is in the way"
        ) from None
    except OSError as error:
        raise ConvGifError(
            f"cannot create the folder {str(folder)!r}: {error.strerror or error}"
        ) from None
    return folder


@contextlib.contextmanager
def atomic_write(path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only on success.

    Missing parent folders are created. On any exception (KeyboardInterrupt
    included) the temporary file is removed and an existing ``path`` is left
    untouched. The temporary name keeps the target's extension, for tools
    (ffmpeg) that pick a format from it.
    """
    target = Path(os.fspath(path))
    if target.is_dir():
        raise ConvGifError(f"cannot write {str(target)!r}: it is a folder")
    make_folder(target.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=f".tmp{target.suffix}"
        )
    except OSError as error:
        raise ConvGifError(
            f"cannot write {str(target)!r}: {error.strerror or error} (is the folder writable?)"
        ) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private; give it the mode a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_bytes(path, data: bytes) -> None:
    """Write ``data`` (a whole file's bytes) to ``path``, atomically."""
    with atomic_write(path) as tmp:
        tmp.write_bytes(data)


@contextlib.contextmanager
def staged_folder(folder) -> Iterator[Path]:
    """Yield an empty hidden folder inside ``folder`` to write into.

    On success its files replace their namesakes in ``folder`` and any other numbered
    frames (``frame_0007.png``, ``.svg`` or ``.pdf``: an earlier, longer run or another
    format, which LaTeX would pick up) are removed; on any exception (KeyboardInterrupt
    included) ``folder`` keeps what it held. Either way the staging folder goes.
    """
    folder = make_folder(folder)
    try:
        stage = Path(tempfile.mkdtemp(dir=folder, prefix=".convgif-"))
    except OSError as error:
        raise ConvGifError(
            f"cannot write into {str(folder)!r}: {error.strerror or error} "
            "(is the folder writable?)"
        ) from None
    try:
        yield stage
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
    finally:
        shutil.rmtree(stage, ignore_errors=True)
