"""Our Solara servers, offline: ``chokepoint play`` (and every page command) calls :func:`serve`.

Offline (docs/play.md): production mode (no call-home frame), no version check, no telemetry,
and the front-end served from solara-assets' cache folder (``<venv>/share/solara/cdn``) instead
of the public CDN. Only this module (and the pages) import Solara; ``sim`` never does.

Hardened (docs/security.md), by :func:`harden` before the server starts:

* no CDN fallback: a missing ``/_solara/cdn/...`` asset is a 404 at once (Solara's
  ``cdn_helper.fetch_from_cdn`` is replaced), and an audit hook refuses any socket connection
  or name lookup that would leave the machine;
* a guard in front of the app answers only requests whose ``Host`` is the address served
  (no DNS rebinding) and accepts websockets only from that same origin (the option
  ``same_origin`` of :func:`serve`, on by default: a page of another site could otherwise open
  a session in the background, cross-site websocket hijacking; Solara does not check it);
* an exception while a page renders shows a short error card, never a traceback (the
  traceback goes to the server's log);
* ``/resourcez`` (host CPU, memory, kernel counts) and the kernel-eviction route are not
  served: the operator reads the terminal;
* disconnected kernels are culled after :data:`CULL_TIMEOUT` (the environment variable
  ``SOLARA_KERNEL_CULL_TIMEOUT``, e.g. ``30s`` or ``10m``, overrides it; tests shorten it);
* what one session may allocate is bounded by the scenario loader's run-size estimate
  (``sim.scenario.load.MAX_UPLOAD_CELLS``), which refuses every larger pasted or uploaded scenario.

Memory given back (docs/classroom/README.md, "How big a class"): a closed tab's objects are all
freed (tracemalloc finds the Python heap back at its level before the tab), but CPython's own
small-object allocator and glibc's per-thread arenas keep the freed pages, so the server's
resident memory never fell. :func:`restart_for_memory` therefore starts the server process once
more, at the very beginning of a page command, with the C allocator (``PYTHONMALLOC=malloc``)
and two glibc arenas (``MALLOC_ARENA_MAX=2``), and :func:`harden` returns the free pages to the
system (``malloc_trim``) a moment after each kernel closes. Measured in ``benchmarks/play.py``:
about 40 MB less at rest, and part of a closed tab's memory returned; the rest stays on heap
pages shared with objects that outlive the tab, and later tabs reuse it (docs/play.md).
``CHOKEPOINT_PYMALLOC=1``, or a ``PYTHONMALLOC`` of one's own, keeps the process as started.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading
import time
import traceback
import warnings
import webbrowser
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sim.errors import UsageError, escape

APP = str(Path(__file__).parent / "play" / "page.py")
NEEDED_ASSETS = ("requirejs@2.3.6", "font-awesome@4.5.0")
CULL_TIMEOUT = "3m"
HIDDEN_ROUTES = ("/resourcez", "/_solara/api/evict")
ALLOCATOR = {"PYTHONMALLOC": "malloc", "MALLOC_ARENA_MAX": "2"}
KEEP_ALLOCATOR_ENV = "CHOKEPOINT_PYMALLOC"  # "1": no restart with ALLOCATOR
TRIM_DELAY = 2.0  # seconds after a kernel closes (its objects are freed by then)
# the programs whose page commands restart themselves (never a test runner or a notebook)
OUR_MAINS = ("sim/__main__.py", "sim/cli.py", "bin/chokepoint")
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
WILDCARD = ("0.0.0.0", "::", "")
TEXT_BROWSERS = ("www-browser", "links", "elinks", "lynx", "w3m")  # webbrowser's console ones

Scope = dict[str, Any]
ASGI = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                Awaitable[None]]


def allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """``Host`` headers the server answers (None: any, when it listens on every interface)."""
    if host in WILDCARD:
        return None
    names = LOOPBACK if host in LOOPBACK else (host,)
    out = set()
    for name in names:
        name = f"[{name}]" if ":" in name and not name.startswith("[") else name
        out.add(f"{name}:{port}")
        if port == 80:
            out.add(name)
    return frozenset(out)


class Guard:
    """ASGI middleware: wrong ``Host`` → 421; foreign websocket ``Origin`` → refused (403)
    unless ``same_origin`` is off; hidden diagnostic routes → 404."""

    def __init__(self, app: ASGI, hosts: frozenset[str] | None, same_origin: bool = True):
        self.app, self.hosts, self.same_origin = app, hosts, same_origin

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        ok_host = bool(host) and (self.hosts is None or host in self.hosts)
        if scope["type"] == "websocket":
            origin = headers.get("origin")
            if not ok_host or (self.same_origin
                               and origin not in (f"http://{host}", f"https://{host}")):
                await send({"type": "websocket.close", "code": 1008})
                return
        elif not ok_host:
            await _plain(send, 421, "this server answers only for its own address")
            return
        elif any(scope.get("path", "").rstrip("/") == p or scope.get("path", "").startswith(p + "/")
                 for p in HIDDEN_ROUTES):
            await _plain(send, 404, "not found")
            return
        await self.app(scope, receive, send)


async def _plain(send: Any, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": text.encode()})


def _local(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) and address else address
    if host is None or isinstance(host, int):
        return True
    if isinstance(host, bytes):
        host = host.decode("latin-1")
    if not isinstance(host, str) or host.startswith("/") or host == "":
        return True  # Unix sockets
    return host in LOOPBACK or host.startswith("127.")


def _no_outbound(event: str, args: tuple[Any, ...]) -> None:
    """Audit hook: refuse a socket connection or a name lookup that would leave the machine."""
    if event == "socket.connect" and len(args) > 1 and not _local(args[1]):
        print(f"refused outbound connection to {args[1]!r}", file=sys.stderr, flush=True)
        raise PermissionError("this server never connects outside the machine")
    if event == "socket.getaddrinfo" and args and not _local(args[0]):
        print(f"refused name lookup of {args[0]!r}", file=sys.stderr, flush=True)
        raise PermissionError("this server never looks up names outside the machine")


def _no_cdn(url: str) -> bytes:
    raise FileNotFoundError(f"{url}: not in the local asset cache (offline server)")


class ErrorCard:
    """Stands in for the ``traceback`` module where Solara and Reacton render an exception into
    the page: the page shows a short card (what went wrong, in one line), the server's log
    keeps the whole traceback."""

    format_stack = staticmethod(traceback.format_stack)
    format_exc = staticmethod(traceback.format_exc)
    print_exc = staticmethod(traceback.print_exc)

    @staticmethod
    def format_exception(exc: Any, value: Any = None, tb: Any = None, **_: Any) -> list[str]:
        error = value if isinstance(value, BaseException) else exc
        print("".join(traceback.format_exception(error)), file=sys.stderr, flush=True)
        text = escape(f"{type(error).__name__}: {error}")
        text = text if len(text) <= 300 else text[:297] + "..."
        return [f"Something went wrong, and this page cannot go on.\n{text}\n"
                "Reload the page to start again; the details are in the server's log."]


def restart_for_memory() -> None:
    """Replace this process by the same command with :data:`ALLOCATOR` in its environment
    (see the module docstring), once, on Linux, when the process is our command line
    (``chokepoint`` or ``python -m sim``). Call it before anything is printed or created."""
    main = str(getattr(sys.modules.get("__main__"), "__file__", "") or "").replace("\\", "/")
    if (not sys.platform.startswith("linux") or os.environ.get("PYTHONMALLOC")
            or os.environ.get(KEEP_ALLOCATOR_ENV) == "1" or not main.endswith(OUR_MAINS)):
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], {**os.environ, **ALLOCATOR})


class Trimmer:
    """Gives the C heap's free pages back to the system (glibc's ``malloc_trim``) a moment
    after a kernel closes; several closes in a row make one trim."""

    def __init__(self, delay: float = TRIM_DELAY) -> None:
        import ctypes

        try:
            self._trim: Callable[[int], int] | None = ctypes.CDLL(None).malloc_trim
        except (OSError, AttributeError):  # not glibc: nothing to do
            self._trim = None
        self.delay = delay
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self.trims = 0

    def soon(self) -> None:
        if self._trim is None:
            return
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = threading.Timer(self.delay, self.now)
            self._timer.daemon = True
            self._timer.start()

    def now(self) -> None:
        import gc

        gc.collect()
        if self._trim is not None:
            self._trim(0)
            self.trims += 1


TRIMMER: Trimmer | None = None  # the server's, set by harden()


def _on_kernel() -> Callable[[], None]:
    """Solara calls it when a kernel starts; what it returns runs when that kernel closes."""
    assert TRIMMER is not None
    return TRIMMER.soon


def harden(host: str, port: int, same_origin: bool = True) -> None:
    """Make the Solara server in this process offline and private (see the module docstring);
    ``same_origin``: refuse websockets from another origin."""
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", CULL_TIMEOUT)
    from solara.server import cdn_helper, settings
    from solara.server import starlette as solara_starlette

    settings.kernel.cull_timeout = os.environ["SOLARA_KERNEL_CULL_TIMEOUT"]
    cdn_helper.fetch_from_cdn = _no_cdn
    import reacton.core
    from solara.server import app as solara_app

    reacton.core.traceback = ErrorCard  # type: ignore[assignment]
    solara_app.traceback = ErrorCard  # type: ignore[assignment]
    solara_starlette.app.add_middleware(Guard, hosts=allowed_hosts(host, port),
                                        same_origin=same_origin)
    sys.addaudithook(_no_outbound)
    global TRIMMER
    if TRIMMER is None:
        import solara.lab

        TRIMMER = Trimmer()
        solara.lab.on_kernel_start(_on_kernel)


def assets_dir() -> Path:
    """Where the server looks for front-end assets before trying the CDN."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def missing_assets() -> list[str]:
    """Asset folders the page needs that the cache lacks (empty when offline use will work)."""
    root = assets_dir()
    return [name for name in NEEDED_ASSETS if not (root / name).is_dir()]


def can_open_browser() -> bool:
    """Whether a browser window can be shown: a display (always on macOS and Windows; on Linux
    and other Unixes ``DISPLAY`` or ``WAYLAND_DISPLAY``) and a browser that :mod:`webbrowser`
    finds, other than a text-mode one (it would take over the terminal)."""
    if sys.platform not in ("darwin", "win32") and not (os.environ.get("DISPLAY")
                                                        or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    return getattr(browser, "name", "") not in TEXT_BROWSERS


def check_port(host: str, port: int) -> None:
    """Refuse, before anything is printed, an address the server could not listen on: bind a
    socket the way the server will (uvicorn, with ``SO_REUSEADDR``) and close it again.

    Raises:
        UsageError: the port is taken, needs privileges, or the host is not this machine's.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host.strip("[]"), port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} is already in use on {host} (another Chokepoint "
                             f"page?): stop that program, or pick another port with --port N, "
                             f"e.g. --port {port + 1 if port < 65535 else 8765}") from None
        if exc.errno == errno.EACCES:
            raise UsageError(f"port {port} needs administrator rights on this machine: pick "
                             "one above 1023 with --port N, e.g. --port 8765") from None
        raise UsageError(f"cannot listen on {host} port {port}: {exc.strerror or exc} "
                         "(--host takes an address of this machine, e.g. 127.0.0.1)") from None


def serve(app: str | Path, *, host: str = "127.0.0.1", port: int = 8765,
          open_browser: bool = True, env: dict[str, str] | None = None,
          banner: str = "Chokepoint is playing at {url}", path: str = "/",
          same_origin: bool = True) -> None:
    """Run a Solara app offline until Ctrl-C (the play page, and any other page of ours).

    Args:
        app: the Solara app module's file (e.g. :data:`APP`, the play page).
        host: the interface to listen on (127.0.0.1: this machine only).
        port: the TCP port.
        open_browser: open the page in the default browser once the server answers.
        env: environment the app reads at start-up (set before Solara is imported).
        banner: the line printed with the URL (``{url}`` is replaced).
        path: the page path the printed URL (and the browser) opens.
        same_origin: accept websockets only from the page's own origin (every page of ours
            keeps it on; it exists as an option so that the one check is set in one place).
    """
    check_port(host, port)
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    os.environ.update(env or {})
    quiet_library_warnings()
    from solara.__main__ import run  # imported after the environment is set

    missing = missing_assets()
    if missing:
        print(f"warning: {assets_dir()} lacks {', '.join(missing)}; the page will try the "
              "internet (reinstall with: pip install solara-assets)", file=sys.stderr)
    os.environ["SOLARA_APP"] = str(app)  # read when harden() imports solara's server
    harden(host, port, same_origin=same_origin)
    url = f"http://{'127.0.0.1' if host in WILDCARD else host}:{port}{path}"
    print(f"{banner.format(url=url)}  (Ctrl-C stops it)", flush=True)
    if open_browser and can_open_browser():
        print("Opening it in your browser...", flush=True)
        threading.Thread(target=_open_when_up, args=(url,), daemon=True).start()
    elif open_browser:
        print("No browser can be opened here (no display or no graphical browser): open that "
              "address in a browser on this machine.", flush=True)
    import click

    try:
        run.main(args=[str(app), "--host", host, "--port", str(port), "--production",
                       "--no-check-version", "--no-open", "--log-level-uvicorn", "warning"],
                 standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        print("stopped", file=sys.stderr)


def quiet_library_warnings() -> None:
    """Silence the one library warning a server start printed (measured on ``chokepoint play
    --no-browser`` and ``chokepoint classroom --no-browser``, then a page load): Solara warns on
    every page served over plain http that its session cookie falls back to ``SameSite=Lax``
    (it would use ``None``, for pages embedded in another site's iframe, only over https).
    ``Lax`` is the cookie our pages want, so the warning tells the user nothing to act on."""
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https",
                            category=UserWarning, module=r"solara\.server\.starlette")


def _open_when_up(url: str, timeout: float = 30.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    if not webbrowser.open(url):
        print(f"No browser could be opened: open {url} yourself.", file=sys.stderr, flush=True)
