"""Markdown bodies rendered to safe HTML."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from services.notify.markdown import plain_paragraphs, render_markdown, sanitize_html


class Elements(HTMLParser):
    """Every start tag with its attributes, as a browser would read them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def tags(html: str) -> set[str]:
    return {tag for tag, _ in Elements(html).found}


HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<a href="https://a.cn" onclick="steal()">x</a>',
    "![pixel](https://tracker.example/p.png)",
    "<svg onload=alert(1)>",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_inert(source: str) -> None:
    elements = Elements(render_markdown(source)).found
    assert {tag for tag, _ in elements} <= {"p", "a"}
    for _, attrs in elements:
        assert not [name for name in attrs if name.startswith("on")]
        assert (attrs.get("href") or "https:").split(":")[0].lower() in {"http", "https", "mailto"}


def test_raw_html_shows_as_text() -> None:
    assert render_markdown("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


def test_javascript_link_is_not_made() -> None:
    assert "<a" not in render_markdown("[点我](javascript:alert(1))")


def test_links_get_noopener_noreferrer() -> None:
    assert render_markdown("[省政府](https://www.hunan.gov.cn/)") == (
        '<p><a href="https://www.hunan.gov.cn/" rel="noopener noreferrer">省政府</a></p>\n'
    )


def test_table_renders_with_alignment() -> None:
    html = render_markdown("| 市州 | 完成率 |\n|:--|--:|\n| 长沙市 | 98.5% |\n")
    assert "<table>" in html
    assert '<th style="text-align:left">市州</th>' in html
    assert '<td style="text-align:right">98.5%</td>' in html


def test_commonmark_structure_is_kept() -> None:
    html = render_markdown("## 一、总体情况\n\n- **长沙**：进度靠前\n- *湘西*：滞后\n\n> 引用\n\n`code`")
    assert tags(html) == {"h2", "ul", "li", "strong", "em", "blockquote", "p", "code"}


@pytest.mark.parametrize(
    ("html", "clean"),
    [
        ("<p onclick=x>a</p>", "<p>a</p>"),
        ("<script>bad()</script>ok", "ok"),
        ("<style>p{}</style>ok", "ok"),
        ('<iframe src="//e"></iframe>ok', "ok"),
        ("<img src=x onerror=alert(1)>ok", "ok"),
        ('<a href="javascript:alert(1)">z</a>', '<a rel="noopener noreferrer">z</a>'),
        ('<a href="https://a.cn" target="_blank">z</a>', '<a href="https://a.cn" rel="noopener noreferrer">z</a>'),
        ('<p style="color:red">a</p>', "<p>a</p>"),
        (
            '<table><tr><td style="text-align:right;background:url(https://e/x)">c</td></tr></table>',
            '<table><tbody><tr><td style="text-align:right">c</td></tr></tbody></table>',
        ),
        ("<!-- note -->ok", "ok"),
    ],
)
def test_sanitizer_allowlist(html: str, clean: str) -> None:
    assert sanitize_html(html) == clean


def test_a_body_becomes_the_paragraphs_of_a_printed_document() -> None:
    source = (
        "# 一、总体情况\n\n各市州：\n现将**调度**情况通报如下。\n\n- 一是 `进度`\n- 二是\n\n"
        "| 地区 | 排名 |\n|---|---|\n| 长沙市 | 1 |\n\n<script>x</script>\n"
    )
    assert plain_paragraphs(source) == [
        "一、总体情况",
        "各市州：现将调度情况通报如下。",
        "一是 进度",
        "二是",
        "地区\u3000排名",
        "长沙市\u30001",
        "<script>x</script>",
    ]
