"""The one HTML sanitizer (sim.markup): the OWASP XSS filter-evasion vectors leave nothing that
runs, and Markdown keeps what it is for (docs/security.md).

Every output is parsed again (the standard library's parser decodes entities in attributes, so
an encoded ``javascript:`` is seen as what a browser would follow) and checked against this
test's own allowlist: tags, attributes, classes and link schemes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from sim.markup import clean_html, markdown_html

SAFE_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3",
             "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "s", "span", "strong", "sub",
             "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}
SAFE_ATTRIBUTES = {"href", "title", "align", "target", "rel"}
SAFE_SCHEMES = {"http", "https", "mailto"}

B64_SCRIPT = "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="  # <script>alert(1)</script>
ENTITIES = "".join(f"&#{ord(c)};" for c in "javascript:alert('XSS')")
PADDED = "".join(f"&#{ord(c):07d}" for c in "javascript:alert('XSS')")
HEX = "".join(f"&#x{ord(c):X}" for c in "javascript:alert('XSS')")

# the OWASP XSS Filter Evasion Cheat Sheet's vectors that apply to an HTML fragment, and a few
# mutation (mXSS) and HTML5 ones
OWASP = [
    "<SCRIPT SRC=https://xss.rocks/xss.js></SCRIPT>",
    "javascript:/*--></title></style></textarea></script></xmp><svg/onload='+/\"/+/"
    "onmouseover=1/+/[*/[]/+alert(1)//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=javascript:alert('XSS')>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<a onmouseover=\"alert(document.cookie)\">xxs link</a>",
    "<a onmouseover=alert(document.cookie)>xxs link</a>",
    "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    "<IMG SRC=/ onerror=\"alert(String.fromCharCode(88,83,83))\"></img>",
    f"<img src=x onerror=\"{PADDED}\">",
    f"<a href=\"{ENTITIES}\">x</a>",
    f"<a href=\"{PADDED}\">x</a>",
    f"<a href=\"{HEX}\">x</a>",
    "<a href=\"JaVaScRiPt:alert('XSS')\">x</a>",
    "<a href=\"jav\tascript:alert('XSS');\">x</a>",
    "<a href=\"jav&#x09;ascript:alert('XSS');\">x</a>",
    "<a href=\"jav&#x0A;ascript:alert('XSS');\">x</a>",
    "<a href=\"jav&#x0D;ascript:alert('XSS');\">x</a>",
    "<a href=\" &#14;  javascript:alert('XSS');\">x</a>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<SCRIPT/XSS SRC=\"http://xss.rocks/xss.js\"></SCRIPT>",
    "<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert(\"XSS\")>",
    "<<SCRIPT>alert(\"XSS\");//\\<</SCRIPT>",
    "<SCRIPT SRC=http://xss.rocks/xss.js?< B >",
    "<iframe src=http://xss.rocks/scriptlet.html <",
    "</TITLE><SCRIPT>alert(\"XSS\");</SCRIPT>",
    "<INPUT TYPE=\"IMAGE\" SRC=\"javascript:alert('XSS');\">",
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<svg/onload=alert('XSS')>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=\"20\" y=\"20\">XSS</text></a></svg>",
    "<LINK REL=\"stylesheet\" HREF=\"javascript:alert('XSS');\">",
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
    f"<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=data:text/html base64,{B64_SCRIPT}\">",
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<TABLE><TD BACKGROUND=\"javascript:alert('XSS')\">",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
    "<XSS STYLE=\"behavior: url(xss.htc);\">",
    "<OBJECT TYPE=\"text/x-scriptlet\" DATA=\"http://xss.rocks/scriptlet.html\"></OBJECT>",
    f"<EMBED SRC=\"data:image/svg+xml;base64,{B64_SCRIPT}\" type=\"image/svg+xml\" "
    "AllowScriptAccess=\"always\"></EMBED>",
    f"<a href=\"data:text/html;base64,{B64_SCRIPT}\">x</a>",
    "<a href=\"vbscript:msgbox('XSS')\">x</a>",
    "<a href=\"VBSCRIPT:msgbox('XSS')\">x</a>",
    "<!--[if gte IE 4]><SCRIPT>alert('XSS');</SCRIPT><![endif]-->",
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<form><button formaction=javascript:alert(1)>x</button></form>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=\"alert(1)\">",
    "<a href=\"https://example.org\" target=\"_top\" onclick=\"alert(1)\">x</a>",
    "<div class=\"v-overlay v-overlay--active news-item\">covers the page</div>",
    "<scr<script>ipt>alert(1)</script>",
]

MARKDOWN = [
    "[Open the briefing](javascript:alert(document.cookie))",
    "[a](JaVaScRiPt:alert(1))",
    "[a](  javascript:alert(1))",
    "[a](<javascript:alert(1)>)",
    "[a](java\tscript:alert(1))",
    f"[a](data:text/html;base64,{B64_SCRIPT})",
    "[a](vbscript:msgbox(1))",
    "[a](&#106;avascript:alert(1))",
    "[a](java&#x09;script:alert(1))",
    "[a](javascript&colon;alert(1))",
    "[a][ref]\n\n[ref]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "![x](http://xss.rocks/beacon.png)",
    "<javascript:alert(1)>",
    "[a](http://x\" onmouseover=\"alert(1))",
    "[a](http://x 'title\" onmouseover=alert(1) x=\"')",
    "**bold** <script>alert(1)</script>",
    "| team | score |\n|---|---:|\n| [US](javascript:alert(1)) | <img src=x onerror=alert(1)> |",
    *OWASP,
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def elements(fragment: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(fragment)
    parser.close()
    return parser.elements


def dangers(fragment: str) -> list[str]:
    """What in ``fragment`` is outside this test's allowlist (empty: nothing can run)."""
    found = []
    for tag, attrs in elements(fragment):
        if tag not in SAFE_TAGS:
            found.append(f"<{tag}>")
        for name, value in attrs:
            if name not in SAFE_ATTRIBUTES:
                found.append(f"<{tag} {name}>")
            elif name == "href":
                # as a browser reads a URL (the URL Standard): C0 controls and spaces around
                # it dropped, tabs and newlines inside it removed
                url = re.sub(r"[\t\n\r]", "", (value or "").strip("".join(map(chr, range(33)))))
                url = url.lower()
                scheme = re.match(r"([a-z][a-z0-9+.\-]*):", url)
                if scheme and scheme.group(1) not in SAFE_SCHEMES:
                    found.append(f"<{tag} href={value!r}>")
    return found


@pytest.mark.parametrize("vector", OWASP)
def test_clean_html_leaves_nothing_that_runs(vector):
    out = clean_html(vector)
    assert not dangers(out), (vector, out)


@pytest.mark.parametrize("text", MARKDOWN)
def test_markdown_leaves_nothing_that_runs(text):
    out = markdown_html(text)
    assert not dangers(out), (text, out)


def test_the_checker_sees_what_the_sanitizer_removes():
    """Without the sanitizer, Markdown's own output carries the attacks (the issue's finding)."""
    import html

    import markdown

    raw = [markdown.markdown(html.escape(t, quote=False)) for t in MARKDOWN[:12]]
    assert all(dangers(r) for r in raw[:3])
    assert all(dangers(v) for v in OWASP if elements(v))  # (two are comments or unfinished)


def test_what_markdown_is_for_is_kept():
    out = markdown_html("# Title\n\n**bold**, *it*, `code`\n\n- one\n- two\n\n"
                        "[site](https://example.org/a?b=1 \"t\"), [mail](mailto:t@example.org), "
                        "[join](/join?code=ABCD2345)\n\n| a | b |\n|---|---:|\n| 1 | 2 |")
    assert "<h1>Title</h1>" in out and "<strong>bold</strong>" in out and "<em>it</em>" in out
    assert "<code>code</code>" in out and "<li>one</li>" in out
    assert '<th align="right">b</th>' in out and '<td align="right">2</td>' in out
    hrefs = [dict(a)["href"] for t, a in elements(out) if t == "a"]
    assert hrefs == ["https://example.org/a?b=1", "mailto:t@example.org", "/join?code=ABCD2345"]
    assert all(dict(a).get("rel") == "noopener noreferrer" and dict(a).get("target") == "_blank"
               for t, a in elements(out) if t == "a")
    assert not dangers(out)


def test_raw_html_in_markdown_shows_as_text():
    out = markdown_html("Tariffs <b>now</b> & <script>alert(1)</script>")
    assert "&lt;b&gt;now&lt;/b&gt; &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_no_class_passes():
    """A class could dress text as the page's own widgets (an overlay over the page)."""
    out = clean_html("<div class='v-overlay v-overlay--active'>covers the page</div>")
    assert out == "<div>covers the page</div>"
