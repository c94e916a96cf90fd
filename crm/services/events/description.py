"""An event's description as HTML: plain text, or Markdown rendered through a sanitiser.

The description is typed by organisers and shown on public pages (the agenda), so whatever
it holds must not reach the page as markup of its own: Markdown is rendered with raw HTML
off (``<script>`` stays text), then the HTML is cleaned by nh3 (the Ammonia sanitiser) to a
short list of tags, links to ``http``, ``https`` and ``mailto`` only (no ``javascript:``,
``data:``) with ``rel="nofollow noopener"``. An image is shown as its alt text only: a
picture from another host would tell it who reads the page (and the pages' policy blocks it
anyway). Headings start at ``<h3>``: the page's own ``<h1>`` and ``<h2>``s come first.

Calendar feeds carry the same reading as text (``description_text``): some calendar clients
show a description's HTML as HTML, so a feed never carries the Markdown source or any tag.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
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
    # Every link is a link to markdown-it, so ``[x](javascript:...)`` is not left as its
    # source; nh3 then drops each address of a scheme not allowed, the words stay.
    md.validateLink = _any_link  # type: ignore[method-assign]
    md.add_render_rule("image", _image_as_alt)
    md.core.ruler.push("shift_headings", _shift_headings)
    return md


def _any_link(url: str) -> bool:
    return True


def _image_as_alt(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """An image as its alt text, escaped: nothing is fetched from the image's host."""
    children = tokens[idx].children or []
    return escapeHtml(self.renderInlineAsText(children, options, env))


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
    return Markup(_sanitised(text))  # sanitised: what this module is for


@lru_cache(maxsize=1024)  # descriptions reach 20,000 characters: a bound on memory
def _sanitised(text: str) -> str:
    """Markdown to HTML, then through nh3 (cached: a feed renders every event's each time)."""
    html = _markdown().render(text)
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


# --- As text (calendar feeds) ------------------------------------------------------------------

# After "<", what makes an HTML parser read a tag, a comment or a declaration (not "<3").
_TAG_START = re.compile(r"[A-Za-z/!?]")
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_BLOCKS = frozenset({"p", "pre", "blockquote", "ul", "ol", "li", "hr", "h3", "h4", "h5", "h6"})


def description_text(text: str | None, format: str) -> str:
    """The description as plain text for a calendar feed (RFC 5545 TEXT). Plain text is
    returned as typed. Markdown is read as the page reads it (the sanitised HTML) and
    written as readable text: paragraphs apart, line breaks kept, list items as ``- `` (or
    their number), quotes as ``> ``, links as ``text (url)`` (``http``, ``https``,
    ``mailto`` only), images as their alt text. No tag remains, not even one typed as text
    (the page shows that as text; a client that reads HTML in a description would not)."""
    if not text or not text.strip():
        return ""
    if str(format) != MARKDOWN:
        return text
    return _markdown_text(text)


@lru_cache(maxsize=1024)  # descriptions reach 20,000 characters: a bound on memory
def _markdown_text(text: str) -> str:
    tree = _Tree()
    tree.feed(_sanitised(text))
    tree.close()
    # Once more over the whole: a tag may be typed across words of different styles.
    return _untagged("\n\n".join(_blocks(tree.root.children))).strip()


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)


class _Tree(HTMLParser):
    """The sanitised HTML as a tree (nh3 gives well-formed HTML of the allowed tags only)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("")
        self._open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {name: value or "" for name, value in attrs})
        self._open[-1].children.append(node)
        if tag not in ("br", "hr"):
            self._open.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._open) - 1, 0, -1):
            if self._open[depth].tag == tag:
                del self._open[depth:]
                return

    def handle_data(self, data: str) -> None:
        self._open[-1].children.append(data)


def _blocks(children: list[_Node | str]) -> list[str]:
    """Block elements as text blocks; inline content between them as its own block."""
    blocks: list[str] = []
    run: list[_Node | str] = []

    def flush() -> None:
        line = _inline(run)
        if line:
            blocks.append(line)
        run.clear()

    for child in children:
        if isinstance(child, str) or child.tag not in _BLOCKS:
            run.append(child)
            continue
        flush()
        block = _block(child)
        if block:
            blocks.append(block)
    flush()
    return blocks


def _block(node: _Node) -> str:
    if node.tag == "hr":
        return "---"
    if node.tag == "pre":
        return _raw(node).strip("\n")
    if node.tag == "blockquote":
        inner = "\n\n".join(_blocks(node.children))
        return "\n".join(f"> {line}" if line else ">" for line in inner.split("\n"))
    if node.tag in ("ul", "ol"):
        return _list(node)
    if node.tag == "li":  # outside a list: nh3 keeps well-formed input, but just in case
        return "\n".join(_blocks(node.children))
    return _inline(node.children)


def _list(node: _Node) -> str:
    number = int(node.attrs["start"]) if node.attrs.get("start", "").isdigit() else 1
    items = []
    for child in node.children:
        if isinstance(child, str) or child.tag != "li":
            continue
        marker = f"{number}. " if node.tag == "ol" else "- "
        number += 1
        lines = "\n".join(_blocks(child.children)).split("\n")
        indent = " " * len(marker)
        items.append(
            "\n".join([marker + lines[0], *(indent + line if line else "" for line in lines[1:])])
        )
    return "\n".join(items)


def _inline(children: Sequence[_Node | str]) -> str:
    """Inline content as one paragraph: HTML's white space collapsed, ``<br>`` a line break."""
    written = "".join(_inline_part(child) for child in children)
    written = re.sub(" *\n *", "\n", re.sub(" {2,}", " ", written))
    return written.strip(" \n")


def _inline_part(child: _Node | str) -> str:
    if isinstance(child, str):
        return _HTML_SPACE.sub(" ", _untagged(child))
    if child.tag == "br":
        return "\n"
    if child.tag in _BLOCKS:  # a block inside inline content: read as its own lines
        return "\n" + _block(child) + "\n"
    words = "".join(_inline_part(part) for part in child.children)
    if child.tag == "a":
        return _link(words, child.attrs.get("href", ""))
    return words


def _link(words: str, href: str) -> str:
    scheme = href.split(":", 1)[0].lower() if ":" in href else ""
    shown = words.strip()
    if scheme not in URL_SCHEMES or shown in (href, href.removeprefix("mailto:")):
        return words
    return f"{words} ({href})" if shown else href


def _raw(node: _Node) -> str:
    return "".join(_untagged(c) if isinstance(c, str) else _raw(c) for c in node.children)


def _untagged(text: str) -> str:
    """Text without anything tag-shaped (typed as text: the page shows it, a feed must not):
    ``<`` then a letter, ``/``, ``!`` or ``?``, up to the next ``>`` with no ``<`` or ``>``
    between. In one pass, and what taking one out joins (``<a<b>>``) is taken out too."""
    out: list[str] = []
    opened: list[int] = []  # where each "<" still in ``out`` is
    closed = -1  # where the last ">" in ``out`` is
    for char in text:
        if char == ">" and opened and opened[-1] > closed:
            start = opened[-1]
            if start + 1 < len(out) and _TAG_START.match(out[start + 1]):
                del out[start:]
                opened.pop()
                continue
        if char == "<":
            opened.append(len(out))
        elif char == ">":
            closed = len(out)
        out.append(char)
    return "".join(out)
