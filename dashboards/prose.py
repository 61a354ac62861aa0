"""Markdown as plain HTML, rendered on the server.

``solara.Markdown`` asks the browser for KaTeX from a CDN (math support) even when the text has
no math, which breaks offline use (docs/architecture.md, "Web pages"). Scenario descriptions
and the score card are converted here with python-markdown instead; the text is HTML-escaped
first, so an uploaded scenario cannot inject markup into the page.
"""

from __future__ import annotations

import html

import markdown  # type: ignore[import-untyped]  # no stubs installed
import solara


def to_html(text: str) -> str:
    """Markdown (headings, emphasis, lists, tables) → HTML, with any raw HTML escaped."""
    return markdown.markdown(html.escape(text, quote=False), extensions=["tables"])


@solara.component
def Prose(text: str, classes: list[str] | None = None):
    """Markdown shown as HTML, offline."""
    solara.HTML(tag="div", unsafe_innerHTML=to_html(text), classes=["prose", *(classes or [])])
