"""Writing files: temporary names that fit and are recognisable, what a killed run left
removed by the next write, the target's mode kept, symbolic links followed, long names and
deep folders, a full disk said in one line naming the argument, nothing left behind."""

from __future__ import annotations

import errno
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import convgif
from convgif.cli.main import main
from convgif.errors import ConvGifError
from convgif.io import files
from convgif.io.files import TEMP_NAME, atomic_write, remove_stale, staged_folder

LAYER = ["--layer", "Conv2d(1, 1, 2)", "--input-shape", "1,3,3"]


def cli(argv, capsys) -> tuple[int, str]:
    """(exit status, stderr) of the command line, run in this process."""
    status = main(argv)
    return status, capsys.readouterr().err


def one_line(err: str, flag: str = "-o") -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"convgif: error: {flag}="), err
    assert "Traceback" not in err
    return lines[0]


def dead_pid() -> int:
    """The pid of a process that has finished (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --------------------------------------------------------------------------- temporary names


def test_temporary_name_is_short_owned_and_keeps_the_extension(tmp_path):
    target = tmp_path / ("a" * 251 + ".mp4")  # 255 bytes: the longest legal name
    with atomic_write(target) as tmp:
        assert tmp.parent == tmp_path
        assert TEMP_NAME.match(tmp.name) and tmp.name.endswith(".tmp.mp4")
        assert int(TEMP_NAME.match(tmp.name)[1]) == os.getpid()
        assert len(tmp.name) < 40
        tmp.write_bytes(b"x")
    assert target.read_bytes() == b"x"
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


@pytest.mark.parametrize("length", [240, 251])
def test_names_of_240_to_255_bytes_are_written(tmp_path, capsys, length):
    target = tmp_path / ("n" * length + ".gif")
    status, err = cli(["render", *LAYER, "-q", "-o", str(target)], capsys)
    assert (status, err) == (0, "")
    assert target.read_bytes()[:6] == b"GIF89a"
    assert sorted(tmp_path.iterdir()) == [target]


def test_a_name_over_255_bytes_is_one_line_naming_the_flag(tmp_path, capsys):
    target = tmp_path / ("n" * 252 + ".gif")  # 256 bytes
    status, err = cli(["render", *LAYER, "-o", str(target)], capsys)
    line = one_line(err)
    assert status == 2 and "has a name of 256 bytes (the limit is 255)" in line
    assert list(tmp_path.iterdir()) == []


def test_a_name_ending_in_a_separator_is_refused_and_nothing_written(tmp_path, capsys):
    status, err = cli(["render", *LAYER, "-o", str(tmp_path / "o.gif") + "/"], capsys)
    assert status == 2 and "names a folder (it ends in a separator)" in one_line(err)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ConvGifError, match=r"^path='.*o\.gif/' names a folder") as caught:
        convgif.Conv2d(1, 1, 2).animate(str(tmp_path / "o.gif") + "/", input_shape=(1, 3, 3))
    assert caught.value.param == "path"
    assert list(tmp_path.iterdir()) == []


def test_a_file_in_the_way_of_a_folder_is_one_line(tmp_path, capsys):
    (tmp_path / "f").write_text("")
    status, err = cli(["render", *LAYER, "-o", str(tmp_path / "f" / "a.gif")], capsys)
    assert status == 2 and "is a file, not a folder" in one_line(err)


# --------------------------------------------------------------------------- deep folders


def test_a_path_through_1100_new_folders_is_made_without_recursion(tmp_path, capsys):
    deep = tmp_path.joinpath(*["d"] * 1100)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # a recursive folder maker would fail long before 1,100
    try:
        status, err = cli(["render", *LAYER, "-q", "-o", str(deep / "a.gif")], capsys)
    finally:
        sys.setrecursionlimit(limit)
    assert (status, err) == (0, "")
    assert (deep / "a.gif").read_bytes()[:6] == b"GIF89a"
    (deep / "a.gif").unlink()
    while deep != tmp_path:  # one by one: pytest's own clean-up recurses, and would fail
        deep.rmdir()
        deep = deep.parent


def test_a_path_too_long_to_open_is_refused_before_any_folder_is_made(tmp_path, capsys):
    deep = tmp_path.joinpath(*["e"] * 2100)
    status, err = cli(["render", *LAYER, "-o", str(deep / "a.gif")], capsys)
    assert status == 2 and re.search(r"is a path of [\d,]+ bytes \(the limit is 4,095\)",
                                     one_line(err))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- a full disk


def _full_disk(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("ext", [".gif", ".png", ".webp", ".svg"])
def test_a_full_disk_is_one_line_naming_the_flag_and_leaves_nothing(
        tmp_path, capsys, monkeypatch, ext):
    old = tmp_path / f"a{ext}"
    old.write_bytes(b"old")
    monkeypatch.setattr(files.os, "replace", _full_disk)
    command = "render" if ext in (".gif", ".webp") else "still"
    status, err = cli([command, *LAYER, "-o", str(old)], capsys)
    line = one_line(err)
    assert status == 2
    assert "cannot be written: No space left on device (free some space" in line
    assert sorted(tmp_path.iterdir()) == [old] and old.read_bytes() == b"old"


def test_a_full_disk_while_writing_a_trace_leaves_no_scratch(tmp_path, capsys, monkeypatch):
    from convgif.io import records

    real = records._field_files

    def fill(scratch, *args):
        real(scratch, *args)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(records, "_field_files", fill)
    status, err = cli(["trace", *LAYER, "-o", str(tmp_path / "t.npz")], capsys)
    assert status == 2 and "No space left on device" in one_line(err)
    assert list(tmp_path.iterdir()) == []


def test_a_full_frames_folder_is_said_as_the_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(files.os, "replace", _full_disk)
    status, err = cli(["frames", *LAYER, "-o", str(tmp_path / "fr")], capsys)
    line = one_line(err)
    assert status == 2 and f"-o={str(tmp_path / 'fr')!r} cannot be written" in line
    assert list(tmp_path.iterdir()) == []  # the folder this run made is gone too


def test_trace_npz_writes_no_memory_map_and_the_same_bytes(tmp_path, monkeypatch):
    """Records reach the scratch files by plain writes (a memory map on a full disk dies of
    SIGBUS); the archive holds exactly the trace."""
    from convgif.api.export import export_trace

    def no_map(*args, **kwargs):
        raise AssertionError("open_memmap used")

    monkeypatch.setattr(np.lib.format, "open_memmap", no_map)
    layer = convgif.Conv2d(2, 3, 3, padding=1)
    result = export_trace(tmp_path / "t.npz", layer, input_shape=(2, 5, 5), chunk=7)
    archive = np.load(tmp_path / "t.npz")
    records = np.concatenate(list(result.trace.iter_macs(1 << 16)))
    for name in result.fields:
        assert np.array_equal(archive[name], records[name], equal_nan=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.npz"]


# --------------------------------------------------------------------------- stale temporaries


def test_what_a_dead_run_left_is_removed_by_the_next_write(tmp_path):
    dead = dead_pid()
    stale_file = tmp_path / f".convgif-{dead}-0123abcd.tmp.gif"
    stale_stage = tmp_path / f".convgif-{dead}-89abcdef.stage"
    stale_scratch = tmp_path / f".convgif-{dead}-00000000.scratch"
    live = tmp_path / f".convgif-{os.getpid()}-0123abcd.tmp.gif"  # a run still going
    other = tmp_path / ".convgif-notes.txt"  # not a name convgif makes
    stale_file.write_bytes(b"half")
    for folder in (stale_stage, stale_scratch):
        folder.mkdir()
        (folder / "frame_0001.png").write_bytes(b"x")
    live.write_bytes(b"busy")
    other.write_text("mine")
    convgif.Conv2d(1, 1, 2).animate(tmp_path / "a.gif", input_shape=(1, 3, 3))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live.name, other.name, "a.gif"])


def test_a_staged_folder_and_a_scratch_folder_clean_their_folder_too(tmp_path):
    dead = dead_pid()
    (tmp_path / f".convgif-{dead}-0123abcd.tmp.png").write_bytes(b"half")
    with staged_folder(tmp_path) as stage:
        assert TEMP_NAME.match(stage.name) and stage.name.endswith(".stage")
        (stage / "frame_0001.png").write_bytes(b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frame_0001.png"]
    assert remove_stale(tmp_path) == []


def test_a_killed_render_is_cleaned_by_the_next(tmp_path):
    """SIGKILL leaves the temporary file (no cleanup can run); the next write removes it."""
    script = (
        "import convgif, os, signal\n"
        "from convgif.io import files\n"
        f"with files.atomic_write({str(tmp_path / 'a.gif')!r}) as tmp:\n"
        "    tmp.write_bytes(b'half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parent.parent)
    assert run.returncode == -9
    left = list(tmp_path.iterdir())
    assert len(left) == 1 and TEMP_NAME.match(left[0].name)
    convgif.Conv2d(1, 1, 2).animate(tmp_path / "b.gif", input_shape=(1, 3, 3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.gif"]


def _aged(path: Path, seconds: float) -> Path:
    """``path`` (and, for a folder, what it holds) last changed ``seconds`` ago."""
    import time

    when = time.time() - seconds
    for item in [*path.iterdir(), path] if path.is_dir() else [path]:
        os.utime(item, (when, when), follow_symlinks=False)
    return path


def test_what_earlier_versions_left_is_removed_after_an_hour(tmp_path):
    """Earlier versions named temporaries as tempfile did, without a pid: ``.t.gif.<8>.tmp.gif``
    files, ``.convgif-<8>`` staging and ``.convgif-npz-<8>`` scratch folders. The next write
    removes those untouched for an hour; anything younger, of another shape or not plainly
    convgif's stays."""
    hour = files.OLD_STALE_SECONDS
    old_file = tmp_path / ".t.gif.k3_x9q1z.tmp.gif"
    old_png = tmp_path / ".slide 1.png.abcdefgh.tmp.png"
    old_stage = tmp_path / ".convgif-a1b2_c3d"
    old_scratch = tmp_path / ".convgif-npz-zz9_yy8x"
    young_file = tmp_path / ".u.gif.q1w2e3r4.tmp.gif"  # perhaps a run still writing
    young_stage = tmp_path / ".convgif-r5t6y7u8"
    touched_inside = tmp_path / ".convgif-i9o0p1a2"  # its folder is old, a file in it is not
    keep = [
        tmp_path / ".notes.abcdefgh.tmp",  # no extension convgif wrote: another tool's
        tmp_path / ".t.gif.abcdefgh.tmp.png",  # the extension does not match the name's
        tmp_path / ".t.gif.abc.tmp.gif",  # not tempfile's 8 characters
        tmp_path / ".convgif-notes",
        tmp_path / "t.gif.k3_x9q1z.tmp.gif",  # not hidden
    ]
    for path in (old_file, old_png, young_file, *keep):
        path.write_bytes(b"half")
    for folder in (old_stage, old_scratch, young_stage, touched_inside):
        folder.mkdir()
        (folder / "frame_0001.png").write_bytes(b"x")
    (tmp_path / ".convgif-nested1").mkdir()  # a folder holding a folder: not what we made
    (tmp_path / ".convgif-nested1" / "inner").mkdir()
    link = tmp_path / ".l.gif.abcdefgh.tmp.gif"
    link.symlink_to(tmp_path / "t.gif.k3_x9q1z.tmp.gif")
    for path in (old_file, old_png, old_stage, old_scratch, *keep,
                 tmp_path / ".convgif-nested1"):
        _aged(path, hour + 60)
    for path in (young_file, young_stage):
        _aged(path, hour - 60)
    _aged(touched_inside, hour + 60)
    os.utime(touched_inside / "frame_0001.png")
    convgif.Conv2d(1, 1, 2).still(tmp_path / "a.png", input_shape=(1, 3, 3))
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([young_file.name, young_stage.name, touched_inside.name, link.name,
                           ".convgif-nested1", "a.png", *(p.name for p in keep)])
    assert remove_stale(tmp_path) == []


# --------------------------------------------------------------------------- mode and links


def test_overwriting_keeps_the_target_mode(tmp_path):
    target = tmp_path / "a.gif"
    layer = convgif.Conv2d(1, 1, 2)
    layer.animate(target, input_shape=(1, 3, 3))
    os.chmod(target, 0o600)
    layer.animate(target, input_shape=(1, 4, 4))
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    os.chmod(target, 0o640)
    layer.animate(target, input_shape=(1, 3, 3))
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640


def test_a_new_file_gets_the_mode_open_would_give(tmp_path):
    umask = os.umask(0o027)
    try:
        with atomic_write(tmp_path / "a.txt") as tmp:
            tmp.write_text("x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "a.txt").st_mode) == 0o640


def test_a_symbolic_link_is_followed_and_the_file_it_points_to_replaced(tmp_path):
    real_folder = tmp_path / "real"
    real_folder.mkdir()
    real = real_folder / "a.gif"
    real.write_bytes(b"old")
    os.chmod(real, 0o600)
    link = tmp_path / "link.gif"
    link.symlink_to(real)
    convgif.Conv2d(1, 1, 2).animate(link, input_shape=(1, 3, 3))
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes()[:6] == b"GIF89a"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o600
    assert sorted(p.name for p in real_folder.iterdir()) == ["a.gif"]  # no temporary left
