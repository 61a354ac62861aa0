"""Starting a page server as a new user meets it: a port already in use is refused before any
banner, a machine without a display gets the address instead of a browser, and the start (and
a first page load) prints no library warnings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import webbrowser
from pathlib import Path

import pytest

from dashboards import server
from sim.errors import UsageError
from tests.servers import wait_until_serving

ROOT = Path(__file__).parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _listener() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@pytest.mark.parametrize("command", ["play", "classroom"])
def test_port_in_use_is_refused_before_the_banner(command, tmp_path):
    with _listener() as busy:
        port = busy.getsockname()[1]
        proc = subprocess.run([sys.executable, "-m", "sim", command, "--no-browser",
                               "--port", str(port)], cwd=tmp_path, env=ENV,
                              capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""  # no "Chokepoint is playing at ..." first
    assert f"port {port} is already in use" in proc.stderr
    assert "--port N" in proc.stderr and "Traceback" not in proc.stderr


def test_check_port_accepts_a_free_port_and_names_a_foreign_host():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    server.check_port("127.0.0.1", free)
    with pytest.raises(UsageError, match="cannot listen on 192.0.2.1"):
        server.check_port("192.0.2.1", free)  # TEST-NET-1: never this machine's address


def test_no_display_means_no_browser(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not server.can_open_browser()
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(webbrowser, "get", lambda: webbrowser.GenericBrowser("w3m"))
    assert not server.can_open_browser()  # a text browser would take over the terminal

    def no_browser():
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    assert not server.can_open_browser()
    monkeypatch.setattr(webbrowser, "get", lambda: webbrowser.GenericBrowser("firefox"))
    assert server.can_open_browser()


def _start(tmp_path: Path, *args: str) -> tuple[subprocess.Popen, Path, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "server.log"
    env = {k: v for k, v in ENV.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.Popen([sys.executable, "-m", "sim", *args, "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    return proc, log, port


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_play_without_display_prints_the_address_and_no_warnings(tmp_path):
    proc, log, port = _start(tmp_path, "play")  # no --no-browser: it would open one
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_serving(proc, url, log)
        with urllib.request.urlopen(url, timeout=10) as page:  # a second page load
            assert page.status == 200
        time.sleep(0.5)
    finally:
        _stop(proc)
    text = log.read_text()
    assert f"Chokepoint is playing at {url}" in text
    assert "No browser can be opened here" in text and "Opening it" not in text
    assert "Warning" not in text and "warn" not in text.lower(), text


def test_classroom_start_prints_no_warnings(tmp_path):
    proc, log, port = _start(tmp_path, "classroom", "--no-browser", "--db",
                             f"sqlite:///{tmp_path / 'class.db'}")
    try:
        wait_until_serving(proc, f"http://127.0.0.1:{port}/join", log)
    finally:
        _stop(proc)
    text = log.read_text()
    assert "Students join at" in text and "No browser" not in text
    assert "warn" not in text.lower(), text
