"""An interrupted render leaves the previous file intact and no temporary file behind."""

import signal
import subprocess
import sys
import time

import pytest


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_render_keeps_the_old_file(tmp_path, sig):
    target = tmp_path / "conv.gif"
    old = b"GIF89a an earlier, good animation"
    target.write_bytes(old)
    # Thousands of MAC-by-MAC frames: long enough to be caught mid-write.
    proc = subprocess.Popen(
        [sys.executable, "-m", "convgif", "render", "--layer", "Conv2d(3, 2, 3)",
         "--input-shape", "3,16,16", "--step", "mac", "--max-frames", "3000", "--quiet",
         "-o", str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(tmp_path.iterdir())) < 2:
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.02)
    temporary = [p for p in tmp_path.iterdir() if p != target]
    assert temporary, "the render never started writing"
    time.sleep(0.3)  # let it write a few frames
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.decode().strip() == "convgif: interrupted"
    assert target.read_bytes() == old
    assert sorted(tmp_path.iterdir()) == [target]
