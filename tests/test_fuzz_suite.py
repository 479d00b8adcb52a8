"""The must-show fuzz suite of issue 15: hostile command lines and API calls, in-process.

A seeded generator (the same inputs on every run) builds command lines over every
command and API calls over every public entry point from the issue's categories:
layer texts (valid calls of every kind, Keras names, misspelt keywords, huge,
negative, float, bool, nested values, long and deep text), shapes, channels,
scales, cells, frames, fonts, styles, output paths (nested, too long, trailing
slash, an existing folder, through a file), input files (.npy of odd dtypes and
headers, images, files that are neither) and small TOML batch files.

Each command line must end with status 0 and a complete output file, or status 2
and exactly one stderr line ``convgif: error: ...`` naming a flag or the argument;
never another status, an exception, a traceback or a warning; each call under
SECONDS and MEGABYTES (tracemalloc's peak); no temporary file left behind, and
nothing at all left by a refusal. Each API call must succeed (a forward pass
equal to torch's or Keras' where one exists) or raise ConvGifError naming its
parameter; never another exception. The counts are asserted at the end.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import resource
import signal
import time
import tracemalloc
import warnings

import numpy as np
import pytest
from fuzz_inputs import ApiCall, api_calls, cli_vectors, make_material
from PIL import Image

from convgif.cli.main import main
from convgif.io.files import TEMP_PREFIX

CLI_VECTORS = int(os.environ.get("FUZZ_CLI", 2000))
API_CALLS = int(os.environ.get("FUZZ_API", 1000))
SECONDS, MEGABYTES = 20, 300
SEED = int(os.environ.get("FUZZ_SEED", 15))  # another seed explores: FUZZ_SEED=7
TRACED = 5  # every 5th call under tracemalloc


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**2


def max_resident_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.contextmanager
def bounded(what: str, index: int):
    """Fail a call that runs over SECONDS (SIGALRM: the tests run in the main thread) or
    takes over MEGABYTES: the process's peak resident size may not rise more than that
    above its size when the call began, and every TRACED-th call runs under tracemalloc
    (which triples the time), whose peak must stay under it too."""

    def expire(signum, frame):
        raise AssertionError(f"{what} ran for more than {SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(SECONDS)
    traced = index % TRACED == 0
    start, peak_before = resident_mb(), max_resident_mb()
    if traced:
        tracemalloc.start()
    try:
        yield
        if traced:
            peak = tracemalloc.get_traced_memory()[1] / 1024**2
            assert peak < MEGABYTES, f"{what} peaked at {peak:.0f} MB (tracemalloc)"
        peak = max_resident_mb()  # the process's peak: a new one was set by this call
        assert peak <= peak_before or peak - start < MEGABYTES, (
            f"{what} grew the process by {peak - start:.0f} MB at its peak")
    finally:
        if traced:
            tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def tree(folder) -> set[str]:
    """Every path under ``folder``; iterative, as -o may have made 1,100 nested folders
    (os.walk recurses once per level on Python 3.11)."""
    found, todo = set(), [str(folder)]
    while todo:
        with os.scandir(todo.pop()) as entries:
            for entry in entries:
                found.add(os.path.relpath(entry.path, folder))
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
    return found


def run_cli(argv, cwd) -> tuple[int, str, str, list]:
    out, err = io.StringIO(), io.StringIO()
    before = os.getcwd()
    os.chdir(cwd)
    try:
        with warnings.catch_warnings(record=True) as caught, \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            warnings.simplefilter("always")
            try:
                code = main(argv)
            except SystemExit as exit_:  # --help, --version
                code = exit_.code
    finally:
        os.chdir(before)
    return code, out.getvalue(), err.getvalue(), [str(w.message) for w in caught]


FLAG = re.compile(r"(^|[\s'\"(=,;:])(--[a-z][a-z-]*|-o)\b")
# Options' Python names: on the command line a message must spell them as flags.
PYTHON_NAME = re.compile(
    r"\b(path|output|flip|scale|cell|style|step|view|values|lines|font|channels|outputs|"
    r"duration|hold|max_frames|force|frame|frames|every|fps|format|count|columns|input_shape|"
    r"input|image|image_size|sweep|repeats|threads|workers|max_side|kernel|output_cell)="
)
KEYWORD = re.compile(r"\b[a-z_]+=")  # a keyword inside --layer, e.g. groups=3


def names_an_argument(line: str, argv: list[str]) -> bool:
    """A flag (``--scale``, ``-o``), a keyword of the layer (``groups=3``), a value the
    user gave (a path, a layer text, a batch file), or the positional argument, never an
    option's Python name (``scale=``)."""
    if FLAG.search(line):
        return True
    if PYTHON_NAME.search(line):
        return False
    given = [a for a in argv[1:] if len(a) >= 3 and not a.startswith("-")]
    return bool(KEYWORD.search(line) or any(a[:60] in line for a in given)
                or re.search(r"\blayers?\b|\bfile\b", line))


def complete(path: str) -> str | None:
    """Why the output at ``path`` is not a complete file, or None."""
    if not os.path.exists(path):
        return "no output"
    if os.path.isdir(path):
        return None if os.listdir(path) else "an empty folder"
    suffix = os.path.splitext(path)[1].lower()
    data = open(path, "rb").read()
    if not data:
        return "an empty file"
    if suffix in (".png", ".gif", ".webp", ".apng"):
        with Image.open(path) as image:
            for n in range(getattr(image, "n_frames", 1)):
                image.seek(n)
                image.load()
    elif suffix == ".svg" and not data.rstrip().endswith(b"</svg>"):
        return "an SVG without its end"
    elif suffix == ".pdf" and b"%%EOF" not in data[-64:]:
        return "a PDF without its end"
    elif suffix == ".npz":
        with np.load(path) as npz:
            assert npz.files
    return None


def output_of(argv: list[str]) -> str | None:
    for flag in ("-o", "--output"):
        if flag in argv:
            return argv[len(argv) - 1 - argv[::-1].index(flag) + 1]
    return None


def check_cli(index: int, argv: list[str], cwd) -> tuple[str | None, str]:
    """(what went wrong or None, outcome) for one command line run in ``cwd``."""
    before = tree(cwd)
    with bounded(f"vector {index}", index):
        code, _, err, caught = run_cli(argv, cwd)
    if caught:
        return f"warnings {caught}", "warned"
    if "Traceback" in err:
        return f"a traceback: {err[-300:]}", "traceback"
    left = sorted(p for p in tree(cwd) if os.path.basename(p).startswith(TEMP_PREFIX))
    if left:
        return f"temporary files left: {left}", "leftovers"
    if code == 0:
        target = output_of(argv)
        if argv[0] in ("batch", "info") or target is None or "-h" in argv:
            return None, "ok"
        why = complete(os.path.join(cwd, target))
        return (f"status 0 but {why}", "ok") if why else (None, "ok")
    lines = err.splitlines()
    if code != 2:
        return f"status {code}: {err[-300:]}", "status"
    if argv[0] == "batch":  # one line per failed entry, each naming its entry
        bad = [line for line in lines if not line.startswith("convgif: ")]
        return (f"batch lines {bad}", "refused") if bad else (None, "refused")
    if len(lines) != 1 or not lines[0].startswith("convgif: error: "):
        return f"not one error line: {err!r}", "lines"
    if not names_an_argument(lines[0], argv):
        return f"names no argument: {lines[0]}", "unnamed"
    new = tree(cwd) - before
    if new:
        return f"a refusal left {sorted(new)[:3]}", "leftovers"
    return None, "refused"


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    return make_material(tmp_path_factory.mktemp("material"))


def test_cli_vectors_exit_0_with_a_file_or_2_with_one_line(material, tmp_path):
    vectors = cli_vectors(random.Random(SEED), material, CLI_VECTORS)
    failures, outcomes = [], {}
    start = time.perf_counter()
    for index, (argv, files) in enumerate(vectors):
        cwd = tmp_path / f"v{index}"
        cwd.mkdir()
        for name, text in files.items():
            (cwd / name).write_text(text)
        problem, outcome = check_cli(index, argv, cwd)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if problem:
            failures.append(f"{argv!r:.400}: {problem}")
    print(f"\n{len(vectors)} command lines in {time.perf_counter() - start:.0f} s: {outcomes}")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:20])
    commands = {argv[0] for argv, _ in vectors}
    assert commands >= {"info", "render", "still", "frames", "sheet", "trace", "features",
                        "stack", "batch", "overlap", "cost"}, commands
    assert outcomes["ok"] > len(vectors) // 10 and outcomes["refused"] > len(vectors) // 10
    assert len(vectors) == CLI_VECTORS >= 2000


def test_api_calls_succeed_or_raise_one_convgif_error(material, tmp_path):
    calls = api_calls(random.Random(SEED), material, API_CALLS)
    failures, outcomes = [], {}
    start = time.perf_counter()
    for index, call in enumerate(calls):
        folder = tmp_path / f"a{index}"
        folder.mkdir()
        problem, outcome = check_api(index, call, folder)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if problem:
            failures.append(f"{call.what:.300}: {problem}")
    print(f"\n{len(calls)} API calls in {time.perf_counter() - start:.0f} s: {outcomes}")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:20])
    assert outcomes["ok"] > len(calls) // 10 and outcomes["refused"] > len(calls) // 10
    assert len(calls) == API_CALLS >= 1000


def check_api(index: int, call: ApiCall, folder) -> tuple[str | None, str]:
    from convgif import ConvGifError

    before = os.getcwd()
    os.chdir(folder)  # relative outputs (a batch entry's) land in the call's folder
    try:
        with bounded(f"call {index}", index), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call.run(folder)
    except ConvGifError as error:
        if "\n" in str(error):
            return f"a message of several lines: {error}", "lines"
        if error.param is None and "=" not in str(error):
            return f"names no argument: {error}", "unnamed"
        left = sorted(tree(folder))
        return (f"a refusal left {left[:3]}", "leftovers") if left else (None, "refused")
    except AssertionError as error:
        return f"wrong result: {str(error)[:300]}", "wrong"
    except Exception as error:  # noqa: BLE001 -- the point: no other exception
        return f"{type(error).__name__}: {str(error)[:200]}", "other"
    finally:
        os.chdir(before)
    if caught:
        return f"warnings {[str(w.message) for w in caught]}", "warned"
    return None, "ok"

