"""An event's description on a page: plain text escaped, Markdown rendered and sanitised.
Hostile input (raw HTML, script links, event handlers, images from other hosts) never
comes out as markup; arbitrary text (hypothesis) only ever yields the allowed tags and
attributes, with safe links."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from crm.services.events.description import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    description_text,
    render_description,
)


class _Tags(HTMLParser):
    """Every start tag and its attributes, as a browser's parser would read them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def _assert_safe(html: str) -> None:
    for tag, attrs in _tags(html):
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs.items():
            if tag == "a" and name == "rel":
                assert value == "nofollow noopener", html
                continue
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()), (tag, name, html)
            if name == "href":
                assert value is not None
                scheme = value.split(":", 1)[0].lower() if ":" in value.split("/", 1)[0] else ""
                assert scheme in ("", "http", "https", "mailto"), (value, html)


HOSTILE = """# Welcome

<script>alert("x")</script>
<img src=x onerror="alert(1)">
<a href="javascript:alert(1)">raw link</a>
[click](javascript:alert(1)) [CLICK](JaVaScRiPt:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=)
[vb](vbscript:msgbox(1)) [file](file:///etc/passwd)
![tracker](https://tracker.example/pixel.gif)
<iframe src="https://evil.example"></iframe>
<style>body{display:none}</style>
[ok](https://www.emo-hannover.de/ "EMO") <https://metav.de> [mail](mailto:info@vdw.example)
<!-- a comment --> <div onclick="steal()">div</div>
"""


def test_hostile_markdown_comes_out_as_text_or_safe_tags() -> None:
    html = str(render_description(HOSTILE, "markdown"))
    _assert_safe(html)
    tags = _tags(html)
    assert {tag for tag, _ in tags} <= {"h3", "p", "a"}
    assert not [attrs for _, attrs in tags if set(attrs) - {"href", "title", "rel"}]
    links = [attrs["href"] for tag, attrs in tags if tag == "a" and "href" in attrs]
    # A link to a script, data or a file keeps its words, not its address.
    assert "](" not in html and "(javascript:" not in html.lower() and "vbscript" not in html
    assert "data:" not in html and "file:" not in html
    assert ">click</a>" in html and ">CLICK</a>" in html and ">file</a>" in html
    # Only the good links are links (a picture is its alt text: no source, no link).
    assert "tracker.example" not in html
    assert links == [
        "https://www.emo-hannover.de/",
        "https://metav.de",
        "mailto:info@vdw.example",
    ]
    assert "<!--" not in html
    # What was typed is still there to read, as text.
    assert '&lt;script&gt;alert("x")&lt;/script&gt;' in html
    # The good links work, marked for search engines and without an opener.
    assert (
        '<a href="https://www.emo-hannover.de/" title="EMO" rel="nofollow noopener">ok</a>' in html
    )
    assert '<a href="https://metav.de" rel="nofollow noopener">https://metav.de</a>' in html
    assert '<a href="mailto:info@vdw.example" rel="nofollow noopener">mail</a>' in html
    # The description's headings come below the page's own.
    assert "<h3>Welcome</h3>" in html and "<h1>" not in html


def test_markdown_formatting_is_rendered() -> None:
    html = str(
        render_description(
            "## Programme\n\n**Day 1**: *guidelines*\n\n1. Talk\n2. Workshop\n\n> Quote\n\n`code`",
            "markdown",
        )
    )
    assert "<h4>Programme</h4>" in html
    assert "<strong>Day 1</strong>" in html and "<em>guidelines</em>" in html
    assert "<ol>" in html and "<li>Workshop</li>" in html
    assert "<blockquote>" in html and "<code>code</code>" in html


def test_plain_text_is_escaped_with_its_paragraphs_and_lines() -> None:
    html = render_description('Hall 4 <b>"Stand" 12</b> & more\nline two\n\n\nnext', "text")
    assert isinstance(html, Markup)
    assert str(html) == (
        "<p>Hall 4 &lt;b&gt;&#34;Stand&#34; 12&lt;/b&gt; &amp; more<br>\nline two</p>\n<p>next</p>"
    )
    # Markdown in a plain-text description is shown as typed.
    assert "[x](javascript:alert(1))" in str(render_description("[x](javascript:alert(1))", "text"))


def test_an_unknown_format_or_nothing_is_never_markup() -> None:
    assert str(render_description("<i>x</i>", "html")) == "<p>&lt;i&gt;x&lt;/i&gt;</p>"
    assert render_description("", "markdown") == Markup("")
    assert render_description(None, "text") == Markup("")
    assert render_description(" \n\n ", "markdown") == Markup("")


PIECES = [*"<>\"'=/:()[]!#*_`&;- \n\tajsvbcript", "javascript:", "<a href=", "](", "<script>"]
MARKUPISH = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(MARKUPISH, st.text(max_size=300)), st.sampled_from(["markdown", "text"]))
def test_any_input_yields_only_allowed_tags_and_safe_links(text: str, fmt: str) -> None:
    _assert_safe(str(render_description(text, fmt)))


# --- Images: their alt text only ---------------------------------------------------------------


def test_an_image_is_its_alt_text_only_never_a_request_or_a_link() -> None:
    source = "Look: ![img](https://evil.example/track.png) and [![logo *bold*](https://evil.example/l.png)](https://metav.de)"
    html = str(render_description(source, "markdown"))
    assert "evil.example" not in html and "<img" not in html and "!<a" not in html
    assert html == (
        '<p>Look: img and <a href="https://metav.de" rel="nofollow noopener">logo bold</a></p>\n'
    )
    text = description_text(source, "markdown")
    assert text == "Look: img and logo bold (https://metav.de)"
    # An alt text is text: markup in it is escaped, an empty one leaves nothing.
    alt = render_description('![<b onclick="x">](https://evil.example/a.png)x', "markdown")
    assert str(alt) == '<p>&lt;b onclick="x"&gt;x</p>\n'
    assert str(render_description("![](https://evil.example/a.png)", "markdown")) == "<p></p>\n"
    assert description_text("![](https://evil.example/a.png)", "markdown") == ""


# --- The text rendering (calendar feeds) -------------------------------------------------------

READABLE = """# Programme

**Day 1**: *guidelines* and `code`,
still the same paragraph\\
after a hard break.

- Welcome
- [Talk](https://www.emo-hannover.de/ "EMO")
  - nested [bad](javascript:alert(1))

3. Third
4. Fourth, loose

   with a second paragraph

> Quoted **text**
>
> second

    indented  code
      kept

---

<https://metav.de> [mail](mailto:info@vdw.example) <info@vdw.example> [rel](/agenda/1)
"""


def test_markdown_as_readable_text_for_a_calendar() -> None:
    assert description_text(READABLE, "markdown") == (
        "Programme\n"
        "\n"
        "Day 1: guidelines and code, still the same paragraph\n"
        "after a hard break.\n"
        "\n"
        "- Welcome\n"
        "- Talk (https://www.emo-hannover.de/)\n"
        "  - nested bad\n"
        "\n"
        "3. Third\n"
        "4. Fourth, loose\n"
        "   with a second paragraph\n"
        "\n"
        "> Quoted text\n"
        ">\n"
        "> second\n"
        "\n"
        "indented  code\n"
        "  kept\n"
        "\n"
        "---\n"
        "\n"
        "https://metav.de mail (mailto:info@vdw.example) info@vdw.example rel"
    )


def test_hostile_markdown_as_text_has_no_tag_and_no_unsafe_link() -> None:
    text = description_text(HOSTILE, "markdown")
    assert not re.search(r"<[A-Za-z/!?]", text), text
    for gone in ("javascript", "vbscript", "data:", "file:", "tracker.example", "evil.example"):
        assert gone not in text.lower(), (gone, text)
    assert "**" not in text and "](" not in text
    assert "ok (https://www.emo-hannover.de/)" in text
    assert "mail (mailto:info@vdw.example)" in text
    assert text.startswith("Welcome\n\n")
    assert "tracker" in text  # the picture's alt text


def test_plain_text_stays_as_typed_in_the_text_rendering() -> None:
    typed = "Hall 4 <script>alert(1)</script> **not bold** [x](javascript:alert(1))\r\nline"
    assert description_text(typed, "text") == typed
    assert description_text(typed, "html") == typed  # an unknown format is plain text
    assert description_text(None, "markdown") == ""
    assert description_text(" \n ", "markdown") == ""


@settings(max_examples=300, deadline=None)
@given(st.one_of(MARKUPISH, st.text(max_size=300)))
def test_any_markdown_as_text_has_no_tag_and_only_safe_links(text: str) -> None:
    rendered = description_text(text, "markdown")
    assert not re.search(r"<[A-Za-z/!?][^<>]*>", rendered), rendered
    for link in re.findall(r"\(([a-zA-Z][a-zA-Z0-9+.-]*):", rendered):
        # a "(scheme:" the text rendering wrote is a safe link; one typed as text is text
        assert link.lower() in ("http", "https", "mailto") or f"({link}:" in text, rendered


@pytest.mark.parametrize(
    ("typed", "text"),
    [
        ("x <a<b>> y", "x y"),  # taking <b> out joins <a>: that goes too
        ("a < b > c, 3<4 and 5>4, <3", "a < b > c, 3<4 and 5>4, <3"),  # comparisons stay
        ("<!-- c --> <?php ?> </p> <x-y z>", ""),
        ("<a" * 3000 + ">" * 3000, ""),  # 3,000 levels deep
    ],
)
def test_tag_shaped_text_is_taken_out_of_the_text(typed: str, text: str) -> None:
    assert description_text(typed, "markdown") == text
