"""An event's description as HTML: plain text, or Markdown rendered through a sanitiser.

The description is typed by organisers and shown on public pages (the agenda), so whatever
it holds must not reach the page as markup of its own: Markdown is rendered with raw HTML
off (``<script>`` stays text), then the HTML is cleaned by nh3 (the Ammonia sanitiser) to a
short list of tags, links to ``http``, ``https`` and ``mailto`` only (no ``javascript:``,
``data:``) with ``rel="nofollow noopener"``. Images are dropped: a picture from another
host would tell it who reads the page (and the pages' policy blocks it anyway). Headings
start at ``<h3>``: the page's own ``<h1>`` and ``<h2>``s come first.
"""

from __future__ import annotations

from functools import cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup, escape

TEXT = "text"
MARKDOWN = "markdown"

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"
# Markdown's levels 1..6 on the page: below the page's title and its sections' headings.
HEADING_SHIFT = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}


@cache
def _markdown() -> MarkdownIt:
    """CommonMark without raw HTML; images rendered as their text (see the module)."""
    md = MarkdownIt("commonmark", {"html": False})
    md.disable("image")
    md.core.ruler.push("shift_headings", _shift_headings)
    return md


def _shift_headings(state: object) -> None:
    tokens: list[Token] = state.tokens  # type: ignore[attr-defined]
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = HEADING_SHIFT.get(token.tag, token.tag)


def _plain(text: str) -> Markup:
    """Paragraphs at blank lines, line breaks kept, everything else as typed (escaped)."""
    blocks = [block.strip("\n") for block in text.replace("\r\n", "\n").split("\n\n")]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(escape(line) for line in b.split("\n")))
        for b in blocks
        if b.strip()
    )


def render_description(text: str | None, format: str) -> Markup:
    """The description as safe HTML for a page; ``format`` is ``text`` or ``markdown``
    (anything else is shown as plain text, never as markup)."""
    if not text or not text.strip():
        return Markup("")
    if str(format) != MARKDOWN:
        return _plain(text)
    html = _markdown().render(text)
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return Markup(cleaned)  # sanitised above: what this module is for
