"""Our Solara servers, offline: ``chokepoint play`` (and every page command) calls :func:`serve`.

Offline (docs/play.md): production mode (no call-home frame), no version check, no telemetry,
and the front-end served from solara-assets' cache folder (``<venv>/share/solara/cdn``) instead
of the public CDN. Only this module (and the pages) import Solara; ``sim`` never does.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import webbrowser
from pathlib import Path

APP = str(Path(__file__).with_name("play.py"))
NEEDED_ASSETS = ("requirejs@2.3.6", "font-awesome@4.5.0")


def assets_dir() -> Path:
    """Where the server looks for front-end assets before trying the CDN."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def missing_assets() -> list[str]:
    """Asset folders the page needs that the cache lacks (empty when offline use will work)."""
    root = assets_dir()
    return [name for name in NEEDED_ASSETS if not (root / name).is_dir()]


def can_open_browser() -> bool:
    """Whether a browser can be shown: a desktop (macOS, Windows) or a display on Linux."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def serve(app: str | Path, *, host: str = "127.0.0.1", port: int = 8765,
          open_browser: bool = True, env: dict[str, str] | None = None,
          banner: str = "Chokepoint is playing at {url}", path: str = "/") -> None:
    """Run a Solara app offline until Ctrl-C (the play page, and any other page of ours).

    Args:
        app: the Solara app module's file (e.g. :data:`APP`, the play page).
        host: the interface to listen on (127.0.0.1: this machine only).
        port: the TCP port.
        open_browser: open the page in the default browser once the server answers.
        env: environment the app reads at start-up (set before Solara is imported).
        banner: the line printed with the URL (``{url}`` is replaced).
        path: the page path the printed URL (and the browser) opens.
    """
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    os.environ.update(env or {})
    from solara.__main__ import run  # imported after the environment is set

    missing = missing_assets()
    if missing:
        print(f"warning: {assets_dir()} lacks {', '.join(missing)}; the page will try the "
              "internet (reinstall with: pip install solara-assets)", file=sys.stderr)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}{path}"
    print(f"{banner.format(url=url)}  (Ctrl-C stops it)", flush=True)
    if open_browser and can_open_browser():
        threading.Thread(target=_open_when_up, args=(url,), daemon=True).start()
    run.main(args=[str(app), "--host", host, "--port", str(port), "--production",
                   "--no-check-version", "--no-open", "--log-level-uvicorn", "warning"],
             standalone_mode=False)


def _open_when_up(url: str, timeout: float = 30.0) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    webbrowser.open(url)
