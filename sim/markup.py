"""HTML made from a scenario's text: the one sanitizer every page goes through.

A scenario's author writes its description, names, events' news and moves' texts; a player or a
teacher may upload a scenario written by anyone. Everything a page shows as HTML from such text
passes :func:`clean_html`, nh3 (the Python binding of the Rust sanitizer *ammonia*, which
parses the fragment as a browser would) with an allowlist: the tags Markdown makes, no
attribute but links' ``href`` and ``title`` and table cells' ``align``, and links only to
``http``, ``https``, ``mailto`` and relative addresses. No ``javascript:``, ``data:`` or
``vbscript:`` address, event attribute, class, ``style``, script, frame, SVG, image or form
survives, whatever the spelling (docs/security.md). :func:`markdown_html` converts Markdown
first, with any raw HTML shown as text.
"""

from __future__ import annotations

import html

import markdown
import nh3

TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
})
ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_CLEANER = nh3.Cleaner(
    tags=set(TAGS), attributes={k: set(v) for k, v in ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    strip_comments=True, link_rel="noopener noreferrer",
    # a link opens beside the game, which keeps its place
    set_tag_attribute_values={"a": {"target": "_blank"}},
    # scripts and styles go with their text, which would otherwise show as words
    clean_content_tags={"script", "style"})


def clean_html(fragment: str) -> str:
    """``fragment`` with everything outside the allowlist removed (see the module's text)."""
    return _CLEANER.clean(fragment)


def markdown_html(text: str) -> str:
    """Markdown (headings, emphasis, lists, links, tables) as clean HTML.

    Raw HTML in ``text`` is escaped first, so it shows as written; what Markdown itself makes
    (a link to ``javascript:``, say) is removed by :func:`clean_html`.
    """
    converted = markdown.markdown(html.escape(text, quote=False), extensions=["tables"],
                                  extension_configs={"tables": {"use_align_attribute": True}})
    return clean_html(converted)
