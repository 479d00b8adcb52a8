"""The examples and the README run as written.

Every script in examples/ runs as a subprocess in an empty folder and must
write the files its docstring names (each one decoding); examples/course.toml
goes through ``convgif batch``; every ```python block of README.md runs as a
script, every ``convgif ...`` line of its ```bash blocks through the installed
command, and its ```toml block through ``convgif batch``. A snippet that
breaks fails here.

examples/gallery.py is left out by default: it takes about 30 s and writes into
the repository's own outputs/ folder. ``CONVGIF_TEST_GALLERY=1`` runs a copy of
it in a temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
README = ROOT / "README.md"
SLOW = {"gallery.py"}

# What each example script writes, relative to the folder it runs in.
WRITES = {
    "first_gif.py": ["outputs/first.gif"],
    "slides.py": [
        "outputs/slides/conv/frame_0001.png",
        "outputs/slides/conv/frame_0008.png",
        "outputs/slides/conv/frames.tex",
        "outputs/slides/conv_dark.gif",
    ],
    "matplotlib_subplot.py": ["outputs/figure.pdf"],
    "from_torch.py": ["outputs/torch_conv.gif"],
    "player.py": ["outputs/player.html", "outputs/player.png", "outputs/player_3840.png"],
    "lenet.py": ["outputs/lenet_table.txt", "outputs/lenet_sheet.png"],
}
COURSE = [
    "outputs/course/01_conv3x3.gif",
    "outputs/course/02_stride_pad_dilation.gif",
    "outputs/course/03_maxpool.gif",
    "outputs/course/04_transposed_scatter.gif",
]


def _env() -> dict:
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    # the convgif command of this interpreter first, if it installed one there
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def _run(args, cwd, shell=False, timeout=180) -> subprocess.CompletedProcess:
    r = subprocess.run(
        args, cwd=cwd, env=_env(), shell=shell, capture_output=True, text=True, timeout=timeout,
        executable="/bin/bash" if shell else None,
    )
    assert r.returncode == 0, (
        f"{args!r} exited {r.returncode}\n--- stdout\n{r.stdout[-2000:]}\n--- stderr\n"
        f"{r.stderr[-4000:]}"
    )
    return r


def check_file(path: Path) -> None:
    assert path.is_file(), f"{path} was not written"
    assert path.stat().st_size > 0, f"{path} is empty"
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        assert path.read_bytes()[:5] == b"%PDF-", f"{path} is not a PDF"
    elif suffix == ".tex":
        assert "\\animategraphics" in path.read_text(encoding="utf-8")
    elif suffix in (".gif", ".png", ".webp"):
        with Image.open(path) as im:
            im.load()
            assert im.width > 0 and im.height > 0
            if suffix == ".gif":
                assert getattr(im, "n_frames", 1) > 1, f"{path} is not animated"
    elif suffix in (".npz", ".npy"):
        import numpy as np

        np.load(path, allow_pickle=False)


# --------------------------------------------------------------------------- examples/


def test_every_example_is_covered():
    scripts = {p.name for p in EXAMPLES.glob("*.py")} - SLOW
    assert scripts == set(WRITES), "add the files a new example writes to WRITES"


@pytest.mark.parametrize("script", sorted(WRITES))
def test_example_script(script, tmp_path):
    r = _run([sys.executable, str(EXAMPLES / script)], tmp_path)
    for rel in WRITES[script]:
        check_file(tmp_path / rel)
    if script == "from_torch.py":
        diff = float(re.search(r"max \|convgif - torch\| = (\S+)", r.stdout).group(1))
        assert diff < 1e-5


def test_course_batch(tmp_path):
    shutil.copy(EXAMPLES / "course.toml", tmp_path / "course.toml")
    sub = tmp_path / "elsewhere"
    sub.mkdir()
    # relative outputs resolve against the TOML file, not the working folder
    r = _run(["convgif", "batch", str(tmp_path / "course.toml")], sub)
    assert "4 of 4 rendered" in r.stdout + r.stderr
    for rel in COURSE:
        check_file(tmp_path / rel)
    assert not any(sub.iterdir())


@pytest.mark.skipif(
    os.environ.get("CONVGIF_TEST_GALLERY") != "1",
    reason="about 30 s; set CONVGIF_TEST_GALLERY=1 to run it",
)
def test_gallery(tmp_path):
    (tmp_path / "examples").mkdir()
    shutil.copy(EXAMPLES / "gallery.py", tmp_path / "examples" / "gallery.py")
    _run([sys.executable, "examples/gallery.py"], tmp_path, timeout=600)
    written = list((tmp_path / "outputs").iterdir())
    assert len(written) > 40
    for path in written:
        check_file(path)


# --------------------------------------------------------------------------- README.md

FENCE = re.compile(r"^([ \t]*)```(\w*)[ \t]*\n(.*?)^\1```[ \t]*$", re.S | re.M)


def readme_blocks(lang: str) -> list[str]:
    blocks = []
    for indent, kind, body in FENCE.findall(README.read_text(encoding="utf-8")):
        if kind == lang:
            lines = body.splitlines()
            blocks.append("\n".join(line[len(indent):] for line in lines) + "\n")
    return blocks


def readme_commands() -> list[str]:
    commands = []
    for block in readme_blocks("bash"):
        joined = re.sub(r"\\\n\s*", " ", block)  # continuation lines
        for line in joined.splitlines():
            line = line.strip()
            if line.startswith("convgif ") or line == "convgif":
                commands.append(line)
            else:
                assert not line or line.startswith("pip install") or line == TEST_COMMAND, (
                    f"README line {line!r}")
    return commands


# the README's second command, which .ci/run runs exactly
TEST_COMMAND = readme_blocks("bash")[1].strip()


def test_ci_runs_the_readme_test_command():
    assert TEST_COMMAND.endswith("python -m pytest -q")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == TEST_COMMAND


PYTHON_BLOCKS = readme_blocks("python")
COMMANDS = readme_commands()
TOML_BLOCKS = readme_blocks("toml")


def test_readme_has_snippets():
    assert len(PYTHON_BLOCKS) >= 3 and len(COMMANDS) >= 4 and TOML_BLOCKS


@pytest.mark.parametrize("snippet", PYTHON_BLOCKS, ids=lambda s: s.splitlines()[-1][:40])
def test_readme_python(snippet, tmp_path):
    (tmp_path / "snippet.py").write_text(snippet, encoding="utf-8")
    _run([sys.executable, "snippet.py"], tmp_path)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.split("#")[0].strip()[:50])
def test_readme_command(command, tmp_path):
    _run(f"set -euo pipefail\n{command}", tmp_path, shell=True)
    outputs = [
        tmp_path / m for m in re.findall(r"-o (\S+)", command.split("#")[0])
    ] or [tmp_path / "outputs" / "conv2d.gif"]
    for out in outputs:
        if out.is_dir():
            assert (out / "frames.tex").is_file()
            check_file(out / "frame_0001.png")
        else:
            check_file(out)


@pytest.mark.parametrize("toml", TOML_BLOCKS, ids=lambda t: f"{t.count('[[render]]')}-renders")
def test_readme_batch(toml, tmp_path):
    (tmp_path / "figures.toml").write_text(toml, encoding="utf-8")
    _run(["convgif", "batch", "figures.toml"], tmp_path)
    for out in re.findall(r'^output = "(.+)"', toml, re.M):
        check_file(tmp_path / out)


def test_license_matches_pyproject():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert project["license"] == {"text": "MIT"}
    assert text.startswith("MIT License\n") and "Copyright (c) 2026 the convgif authors" in text
    assert "THE SOFTWARE IS PROVIDED \"AS IS\"" in text
