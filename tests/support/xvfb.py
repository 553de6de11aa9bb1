"""Start a private Xvfb display for tests that need a real X server."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def xvfb_display(size: str = "1920x1080x24") -> Iterator[str]:
    """Yield ``":N"`` of a fresh Xvfb server (with the XScreenSaver extension) and stop it after.

    Xvfb picks a free display number itself and reports it on ``-displayfd``, so two test runs
    starting at the same moment never race for the same number.
    """
    if shutil.which("Xvfb") is None:
        raise RuntimeError("Xvfb is not installed (apt-get install xvfb); .ci/run installs it")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp",
         "+extension", "MIT-SCREEN-SAVER"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_fd,),
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd, "r") as reader:
            number = reader.readline().strip()  # written once the server accepts connections
        if not number.isdigit():
            raise RuntimeError(f"Xvfb did not start (exit code {proc.poll()})")
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


def env_with_display(display: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DISPLAY"] = display
    env.pop("WAYLAND_DISPLAY", None)
    return env
