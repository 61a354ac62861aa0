"""Markdown as plain HTML, rendered on the server.

``solara.Markdown`` asks the browser for KaTeX from a CDN (math support) even when the text has
no math, which breaks offline use (docs/architecture.md, "Web pages"). Scenario descriptions and
the score card are converted with python-markdown instead, by ``sim.markup.markdown_html``: the
text is HTML-escaped first and the result passes the one sanitizer (docs/security.md), so an
uploaded scenario can put no markup and no script into the page.
"""

from __future__ import annotations

import solara

from sim.markup import markdown_html


@solara.component
def Prose(text: str, classes: list[str] | None = None):
    """Markdown shown as HTML, offline."""
    solara.HTML(tag="div", unsafe_innerHTML=markdown_html(text),
                classes=["prose", *(classes or [])])
