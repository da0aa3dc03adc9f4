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
