"""The play server stays on this machine and answers only its own page (docs/play.md,
"Offline"; the hardening listed in dashboards/server.py).

One real ``chokepoint play`` server (a subprocess) for the module: a missing CDN asset is a 404
at once with no outbound attempt (the server's audit hook logs every non-local connection or
name lookup; the log must have none, also while Chromium loads the page), websockets from a
foreign Origin or Host are refused, a foreign Host is refused, and the diagnostic route is gone.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboards.server import Guard, _no_outbound, allowed_hosts
from tests.servers import wait_until_serving

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
OUTBOUND = ("refused outbound", "refused name lookup", "Could not load URL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    out = log.open("w")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "sim", "play", "scenarios/zte_2018.yaml",
                             "--no-browser", "--port", str(port)], cwd=ROOT, stdout=out,
                            stderr=subprocess.STDOUT, env=env)
    wait_until_serving(proc, f"http://127.0.0.1:{port}/", log)
    yield port, log
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    text = log.read_text()
    assert not [w for w in OUTBOUND if w in text], text


def _status(port: int, path: str, host: str | None = None) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if host:
        req.add_header("Host", host)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _handshake(port: int, origin: str | None, host: str) -> str:
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET /jupyter/api/kernels/{os.urandom(8).hex()}/channels?session_id=x HTTP/1.1",
             f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if origin:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return s.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_missing_asset_is_404_at_once(server: tuple[int, Path]) -> None:
    port, log = server
    start = time.monotonic()
    assert _status(port, "/_solara/cdn/not-there@9.9.9/x.js") == 404
    assert time.monotonic() - start < 2
    assert not [w for w in OUTBOUND if w in log.read_text()]


def test_browser_asking_for_a_missing_asset_makes_no_outbound_attempt(
        server: tuple[int, Path]) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    port, log = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-background-networking"])
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
        status = page.evaluate(
            "async () => (await fetch('/_solara/cdn/not-there@9.9.9/x.js')).status")
        browser.close()
    assert status == 404
    assert not [w for w in OUTBOUND if w in log.read_text()]


@pytest.mark.parametrize("origin, host, refused", [
    ("http://evil.example", "127.0.0.1:{port}", True),
    (None, "127.0.0.1:{port}", True),
    ("http://evil.example", "evil.example", True),
    ("http://127.0.0.1:{port}", "evil.example", True),
    ("http://127.0.0.1:{port}", "127.0.0.1:{port}", False),
])
def test_websocket_origin_and_host(server: tuple[int, Path], origin: str | None, host: str,
                                   refused: bool) -> None:
    port, _ = server
    line = _handshake(port, origin and origin.format(port=port), host.format(port=port))
    assert (" 403 " in line + " ") == refused, line


def test_foreign_host_and_diagnostics_refused(server: tuple[int, Path]) -> None:
    port, _ = server
    assert _status(port, "/", host="evil.example") == 421
    assert _status(port, "/", host=f"localhost:{port}") == 200
    assert _status(port, "/resourcez") == 404
    assert _status(port, "/_solara/api/evict/x") == 404


def test_audit_hook_refuses_outbound_and_allows_loopback() -> None:
    with pytest.raises(PermissionError):
        _no_outbound("socket.connect", (None, ("93.184.216.34", 443)))
    with pytest.raises(PermissionError):
        _no_outbound("socket.getaddrinfo", ("cdn.jsdelivr.net", 443, 0, 0, 0))
    _no_outbound("socket.connect", (None, ("127.0.0.1", 8765)))
    _no_outbound("socket.getaddrinfo", ("localhost", 8765, 0, 0, 0))


def test_allowed_hosts() -> None:
    assert allowed_hosts("127.0.0.1", 8765) == {"127.0.0.1:8765", "localhost:8765",
                                                "[::1]:8765"}
    assert allowed_hosts("0.0.0.0", 8765) is None
    assert Guard  # the middleware itself is exercised by the live server above


def test_ctrl_c_on_play_exits_quietly(tmp_path: Path) -> None:
    import signal

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sim", "play", "--no-browser", "--port",
                             str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 60
    while _status_or_none(port) != 200:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in out, out


def _status_or_none(port: int) -> int | None:
    try:
        return _status(port, "/")
    except OSError:
        return None


def test_harden_culls_kernels_within_minutes_and_never_fetches(tmp_path: Path) -> None:
    script = f"""
import socket, time
from dashboards.server import harden
harden("127.0.0.1", 8765)
from solara.server import cdn_helper, settings
from solara.util import parse_timedelta
assert parse_timedelta(settings.kernel.cull_timeout) <= 300, settings.kernel.cull_timeout
start = time.monotonic()
try:
    cdn_helper.get_path(__import__("pathlib").Path({str(tmp_path)!r}), "nothere@1.0.0/x.js")
except FileNotFoundError:
    pass
assert time.monotonic() - start < 1
for call in (lambda: socket.getaddrinfo("cdn.jsdelivr.net", 443),
             lambda: socket.create_connection(("93.184.216.34", 443), timeout=1)):
    try:
        call()
    except PermissionError:
        continue
    raise AssertionError("an outbound attempt was let through")
import reacton.core
card = "".join(reacton.core.traceback.format_exception(None, ValueError("bad\\x1b[2J"), None))
assert "Traceback" not in card and "ValueError: bad\\\\x1b[2J" in card, card
print("ok")
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SOLARA_KERNEL_CULL_TIMEOUT", None)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
    assert "refused name lookup of 'cdn.jsdelivr.net'" in proc.stderr


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(e.decode().split("=", 1) for e in raw if b"=" in e)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the restart is Linux-only")
@pytest.mark.parametrize("keep", [False, True])
def test_the_page_server_restarts_itself_with_the_c_allocator(tmp_path: Path,
                                                               keep: bool) -> None:
    """``chokepoint play`` replaces itself (same process id) by the same command with
    PYTHONMALLOC=malloc and two glibc arenas; CHOKEPOINT_PYMALLOC=1 keeps it as started."""
    from dashboards.server import ALLOCATOR

    port = _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for key in (*ALLOCATOR, "CHOKEPOINT_PYMALLOC"):
        env.pop(key, None)
    if keep:
        env["CHOKEPOINT_PYMALLOC"] = "1"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "sim", "play", "--no-browser",
                                 "--port", str(port)], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT, env=env)
    try:
        wait_until_serving(proc, f"http://127.0.0.1:{port}/", log)
        seen = _environ(proc.pid)
        if keep:
            assert not set(ALLOCATOR) & set(seen)
        else:
            assert {k: seen.get(k) for k in ALLOCATOR} == ALLOCATOR
        assert log.read_text().count("Chokepoint is playing at") == 1  # printed once
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_restart_for_memory_leaves_other_programs_alone(monkeypatch) -> None:
    """In a test runner (or any program not ours) nothing is restarted."""
    from dashboards import server

    monkeypatch.delenv("PYTHONMALLOC", raising=False)
    monkeypatch.setattr(server.os, "execve", lambda *a: pytest.fail("restarted pytest"))
    server.restart_for_memory()


def test_trimmer_trims_once_after_several_closes() -> None:
    from dashboards.server import Trimmer

    trimmer = Trimmer(delay=0.05)
    if trimmer._trim is None:
        pytest.skip("not glibc: no malloc_trim")
    for _ in range(3):
        trimmer.soon()
    deadline = time.monotonic() + 5
    while trimmer.trims == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    assert trimmer.trims == 1
