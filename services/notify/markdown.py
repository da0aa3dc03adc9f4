"""A circular's Markdown body as HTML that is safe to put in a page, rendered on read.

Two walls. markdown-it-py renders CommonMark plus tables with raw HTML switched off, so `<script>`
typed into a body shows as text and `javascript:` links are not made. nh3 then keeps only the tags
and attributes below, only http, https and mailto links, only `text-align` in the table cells'
style, and gives every link `rel="noopener noreferrer"`. Images are not kept: a circular's files
travel as attachments, and an image URL would tell an outside server who read the circular.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "s", "del", "code", "pre", "blockquote",
        "ul", "ol", "li", "a",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "ol": frozenset({"start"}),
    "th": frozenset({"style"}),
    "td": frozenset({"style"}),
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})

_renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
_cleaner = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=frozenset({"script", "style"}),
    attributes=ALLOWED_ATTRIBUTES,
    url_schemes=ALLOWED_URL_SCHEMES,
    link_rel="noopener noreferrer",
    filter_style_properties=frozenset({"text-align"}),
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    """`html` with everything outside the allowlist removed (script and style with their content)."""
    return _cleaner.clean(html)


def render_markdown(source: str) -> str:
    """Safe HTML for a Markdown body."""
    return sanitize_html(_renderer.render(source))


def plain_paragraphs(source: str) -> list[str]:
    """The body's text as the paragraphs of a printed document: one per paragraph, heading, list
    item or table row (cells separated by a full-width space), Markdown markup dropped."""
    paragraphs: list[str] = []
    row: list[str] | None = None
    for token in _renderer.parse(source):
        if token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            paragraphs.append("\u3000".join(cell for cell in row if cell))
            row = None
        elif token.type == "inline":
            text = "".join(
                child.content for child in token.children or () if child.type in ("text", "code_inline")
            ).strip()
            if row is not None:
                row.append(text)
            elif text:
                paragraphs.append(text)
        elif token.type in ("code_block", "fence"):
            paragraphs.extend(line.strip() for line in token.content.splitlines() if line.strip())
    return paragraphs
