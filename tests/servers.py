"""Test servers run as subprocesses: wait until one answers, stop it."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path


def wait_until_serving(proc: subprocess.Popen, url: str, log: Path,
                       seconds: float = 60.0) -> None:
    """Poll ``url`` until it answers 200; if ``proc`` exits or ``seconds`` pass first, kill
    it and raise with its log."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"server did not answer {url}: {log.read_text()}")
        time.sleep(0.3)
