"""A circular as a PDF laid out as an official document, 文件格式 of GB/T 9704-2012.

    page          A4; 天头 37 mm, 订口 28 mm; 版心 156 × 225 mm, 22 lines of 28 characters
    版头          紧急程度 (3号黑体) top left; 发文机关标志 in red, its top 35 mm below the 版心's,
                  as large as fits (long names are narrowed, as printed mastheads are); 发文字号
                  centred two lines below it; a red rule 版心-wide 4 mm under the number
    主体          标题 (2号小标宋) two lines under the rule, centred, broken into balanced lines;
                  主送机关 one line under it, flush left, ending with a full-width colon; 正文
                  (3号仿宋) on the line grid, each paragraph indented two characters, justified;
                  发文机关署名 one line below, two characters from the right, and 成文日期 under
                  it two characters further right (so it sits two from the right when longer)
    版记          optional 抄送 and 印发机关/印发日期 (4号仿宋) between rules at the foot of the
                  last page, the last rule on the 版心's bottom edge
    页码          "— n —" (4号), 7 mm below the 版心, odd pages right and even pages left, one
                  character in

The signature and date never stand alone on a page, nor below a single line: the last two body
lines go with them.
The faces are the Noto CJK stand-ins of `fonts`; the rendering is deterministic for one input.
It costs about a second (fontTools subsetting the CJK faces), so a circular is rendered once
when published and its PDF kept, not rendered on every read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from fpdf import FPDF

from services.notify.docnumber import URGENCY_LABELS, Urgency
from services.notify.fonts import DocumentFonts
from services.notify.linebreak import Line, break_lines, justified_spacing

PAGE_W, PAGE_H = 210.0, 297.0
TOP, LEFT = 37.0, 28.0
BODY_W, BODY_H = 156.0, 225.0
LINES_PER_PAGE = 22
PITCH = BODY_H / LINES_PER_PAGE
MASTHEAD_DROP = 35.0
RULE_GAP = 4.0
PAGE_NUMBER_DROP = 7.0

PT = 25.4 / 72
SIZE_2 = 22.0  # 二号: title
SIZE_3 = 16.0  # 三号: body, number, signature
SIZE_4 = 14.0  # 四号: 版记, page numbers
MASTHEAD_SIZE = 42.0  # about 15 mm high
MIN_STRETCH = 55.0

RED = (230, 0, 18)
BLACK = (0, 0, 0)
_SONG, _XBS, _HEI = "song", "xbs", "hei"
# Where a CJK glyph's em box sits on its baseline: 0.88 em above it, 0.12 em below.
_ASCENT, _DESCENT = 0.88, 0.12


def chinese_date(d: date) -> str:
    """成文日期 as GB/T 9704 writes it: Arabic numerals, no padding (2026年12月1日)."""
    return f"{d.year}年{d.month}月{d.day}日"


@dataclass(frozen=True, slots=True)
class OfficialDocument:
    issuer_name: str
    number: str
    title: str
    recipients: tuple[str, ...]
    paragraphs: tuple[str, ...]
    signatory: str
    issued_on: date
    urgency: Urgency = Urgency.routine
    masthead_suffix: str = "文件"
    copy_to: tuple[str, ...] = ()
    printed_by: str | None = None
    printed_on: date | None = None

    @property
    def masthead(self) -> str:
        return self.issuer_name + self.masthead_suffix


@dataclass(frozen=True, slots=True)
class _Row:
    """One grid line of the flowing part: text at `x` with `spacing` mm after each character."""

    text: str = ""
    x: float = LEFT
    spacing: float = 0.0
    font: str = _SONG
    size: float = SIZE_3
    record: bool = False  # a 版记 line, drawn at the foot of the last page
    rule_above: bool = False


@dataclass(slots=True)
class _Page:
    first_line: int
    rows: list[_Row] = field(default_factory=list)

    @property
    def free(self) -> int:
        return LINES_PER_PAGE - self.first_line - len(self.rows)


class _OfficialPdf(FPDF):
    def footer(self) -> None:
        number = f"— {self.page_no()} —"
        self.set_font(_SONG, size=SIZE_4)
        self.set_char_spacing(0)
        self.set_text_color(*BLACK)
        em = SIZE_4 * PT
        w = self.get_string_width(number)
        x = LEFT + BODY_W - em - w if self.page_no() % 2 else LEFT + em
        # The dashes sit about a third of an em above the baseline.
        self.text(x, TOP + BODY_H + PAGE_NUMBER_DROP + 0.33 * em, number)


def render_pdf(doc: OfficialDocument, fonts: DocumentFonts) -> bytes:
    """The document as PDF bytes, fonts embedded (subset)."""
    pdf = _OfficialPdf(unit="mm", format="A4")
    pdf.set_margins(LEFT, TOP, PAGE_W - LEFT - BODY_W)
    pdf.set_auto_page_break(False)
    pdf.add_font(_SONG, fname=fonts.song.path, collection_font_number=fonts.song.index)
    pdf.add_font(_XBS, fname=fonts.song_bold.path, collection_font_number=fonts.song_bold.index)
    if doc.urgency is not Urgency.routine:  # 黑体 is for the urgency mark alone; loading a face costs ~0.4 s
        pdf.add_font(_HEI, fname=fonts.hei.path, collection_font_number=fonts.hei.index)
    pdf.set_title(doc.title)
    pdf.set_author(doc.signatory)
    pdf.set_subject(doc.number)
    pdf.set_creator("万千百 notify")
    pdf.set_lang("zh-CN")
    pdf.set_creation_date(datetime(doc.issued_on.year, doc.issued_on.month, doc.issued_on.day, tzinfo=UTC))

    pdf.add_page()
    first_line = _draw_head(pdf, doc)
    pages = _paginate(first_line, _flow_rows(pdf, doc), _closing_rows(pdf, doc), _record_rows(pdf, doc))
    for i, page in enumerate(pages):
        if i:
            pdf.add_page()
        for n, row in enumerate(page.rows):
            if row.record:
                continue
            _draw_row(pdf, row, page.first_line + n)
        if i == len(pages) - 1:
            _draw_record(pdf, [r for r in page.rows if r.record])
    return bytes(pdf.output())


def _baseline(line: int, size: float) -> float:
    centre = TOP + (line + 0.5) * PITCH
    return centre + (_ASCENT - _DESCENT) / 2 * size * PT


def _draw_row(pdf: FPDF, row: _Row, line: int) -> None:
    if not row.text:
        return
    pdf.set_font(row.font, size=row.size)
    pdf.set_text_color(*BLACK)
    pdf.set_char_spacing(row.spacing * pdf.k)
    pdf.text(row.x, _baseline(line, row.size), row.text)
    pdf.set_char_spacing(0)


def _draw_head(pdf: FPDF, doc: OfficialDocument) -> int:
    """Draws the 版头 and returns the grid line the title starts on."""
    if doc.urgency is not Urgency.routine:
        pdf.set_font(_HEI, size=SIZE_3)
        pdf.text(LEFT, _baseline(0, SIZE_3), URGENCY_LABELS[doc.urgency])

    size = MASTHEAD_SIZE
    pdf.set_font(_XBS, size=size)
    natural = pdf.get_string_width(doc.masthead)
    stretch = 100.0
    if natural > BODY_W:
        stretch = max(MIN_STRETCH, math.floor(BODY_W / natural * 1000) / 10)
        size = min(size, size * BODY_W / (natural * stretch / 100))
    pdf.set_font(_XBS, size=size)
    pdf.set_stretching(stretch)
    width = pdf.get_string_width(doc.masthead)
    top = TOP + MASTHEAD_DROP
    pdf.set_text_color(*RED)
    pdf.text(LEFT + (BODY_W - width) / 2, top + _ASCENT * size * PT, doc.masthead)
    pdf.set_stretching(100)

    bottom = top + size * PT
    number_line = math.ceil((bottom - TOP) / PITCH - 1e-9) + 2
    pdf.set_font(_SONG, size=SIZE_3)
    pdf.set_text_color(*BLACK)
    number_baseline = _baseline(number_line, SIZE_3)
    pdf.text(LEFT + (BODY_W - pdf.get_string_width(doc.number)) / 2, number_baseline, doc.number)

    rule_y = number_baseline + _DESCENT * SIZE_3 * PT + RULE_GAP
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.5)
    pdf.line(LEFT, rule_y, LEFT + BODY_W, rule_y)
    pdf.set_draw_color(*BLACK)
    rule_line = math.floor((rule_y - TOP) / PITCH)
    return rule_line + 3


def _lines(
    pdf: FPDF, text: str, font: str, size: float, width: float, indent: float = 0.0, *, title: bool = False
) -> list[Line]:
    pdf.set_font(font, size=size)
    pdf.set_char_spacing(0)
    return break_lines(text, pdf.get_string_width, width, indent=indent, keep_quoted=title)


def _justified(lines: Sequence[Line], font: str, size: float, indent: float) -> list[_Row]:
    em = size * PT
    return [
        _Row(
            line.text,
            LEFT + (indent if i == 0 else 0.0),
            justified_spacing(line, max_gap=em / 2),
            font,
            size,
        )
        for i, line in enumerate(lines)
    ]


def _title_rows(pdf: FPDF, title: str) -> list[_Row]:
    pdf.set_font(_XBS, size=SIZE_2)
    total = pdf.get_string_width(title)
    count = max(1, math.ceil(total / BODY_W))
    em = SIZE_2 * PT
    # Balanced lines (梯形 rather than one full line and a stub): the narrowest width giving `count` lines.
    width = min(BODY_W, total / count + em)
    lines = _lines(pdf, title, _XBS, SIZE_2, width, title=True)
    while len(lines) > count and width < BODY_W:
        width = min(BODY_W, width + em)
        lines = _lines(pdf, title, _XBS, SIZE_2, width, title=True)
    return [_Row(line.text, LEFT + (BODY_W - line.width) / 2, 0.0, _XBS, SIZE_2) for line in lines]


def _flow_rows(pdf: FPDF, doc: OfficialDocument) -> list[_Row]:
    rows = _title_rows(pdf, doc.title)
    rows.append(_Row())
    recipients = "、".join(doc.recipients).rstrip("：:") + "："
    rows += _justified(_lines(pdf, recipients, _SONG, SIZE_3, BODY_W), _SONG, SIZE_3, 0.0)
    indent = 2 * SIZE_3 * PT
    for paragraph in doc.paragraphs:
        text = paragraph.strip()
        if text:
            rows += _justified(_lines(pdf, text, _SONG, SIZE_3, BODY_W, indent), _SONG, SIZE_3, indent)
    return rows


def _closing_rows(pdf: FPDF, doc: OfficialDocument) -> list[_Row]:
    pdf.set_font(_SONG, size=SIZE_3)
    em = SIZE_3 * PT
    date_text = chinese_date(doc.issued_on)
    signature_w = pdf.get_string_width(doc.signatory)
    date_w = pdf.get_string_width(date_text)
    right = LEFT + BODY_W - 2 * em
    signature_x = min(right - signature_w, right - date_w - 2 * em)
    return [
        _Row(),
        _Row(doc.signatory, signature_x),
        _Row(date_text, signature_x + 2 * em),
    ]


def _record_rows(pdf: FPDF, doc: OfficialDocument) -> list[_Row]:
    """抄送 one character in from both sides, its lines aligned after the colon; then 印发机关 one
    character in from the left and 印发日期 one from the right, on one line."""
    em = SIZE_4 * PT
    rows: list[_Row] = []
    if doc.copy_to:
        label = "抄送："
        pdf.set_font(_SONG, size=SIZE_4)
        label_w = pdf.get_string_width(label)
        names = "，".join(doc.copy_to).rstrip("。") + "。"
        lines = _lines(pdf, names, _SONG, SIZE_4, BODY_W - 2 * em - label_w)
        for i, line in enumerate(lines):
            text = label + line.text if i == 0 else line.text
            x = LEFT + em + (0.0 if i == 0 else label_w)
            spacing = justified_spacing(line, max_gap=em / 2)
            rows.append(_Row(text, x, spacing, _SONG, SIZE_4, record=True, rule_above=i == 0))
    if doc.printed_by:
        printed = f"{chinese_date(doc.printed_on or doc.issued_on)}印发"
        rows.append(
            _Row(f"{doc.printed_by}\t{printed}", LEFT + em, font=_SONG, size=SIZE_4, record=True, rule_above=True)
        )
    return rows


def _paginate(first_line: int, flow: list[_Row], closing: list[_Row], record: list[_Row]) -> list[_Page]:
    pages = [_Page(first_line)]
    for row in flow:
        if pages[-1].free == 0:
            pages.append(_Page(0))
        if row.text or pages[-1].rows:
            pages[-1].rows.append(row)
    last = pages[-1]
    if len(pages) > 1 and len(last.rows) < 2:
        # No single line of a paragraph alone at the top of the last page.
        last.rows.insert(0, pages[-2].rows.pop())
    if last.free < len(closing):
        kept = last.rows[-2:] if len(last.rows) > 2 else []
        del last.rows[len(last.rows) - len(kept) :]
        pages.append(_Page(0, [*kept, *closing[1:]] if kept else closing[1:]))
    else:
        last.rows += closing
    if record:
        if pages[-1].free < len(record):
            pages.append(_Page(0))
        pages[-1].rows += record
    return pages


def _draw_record(pdf: FPDF, rows: list[_Row]) -> None:
    """版记 at the foot of the page: a thick rule above its first element, thin ones between
    elements, and a thick one on the 版心's bottom edge."""
    if not rows:
        return
    em = SIZE_4 * PT
    bottom = TOP + BODY_H
    height = PITCH * 0.8
    top = bottom - height * len(rows)
    pdf.set_draw_color(*BLACK)
    pdf.set_font(_SONG, size=SIZE_4)
    pdf.set_text_color(*BLACK)
    for i, row in enumerate(rows):
        y = top + i * height
        if row.rule_above:
            pdf.set_line_width(0.35 if i == 0 else 0.25)
            pdf.line(LEFT, y, LEFT + BODY_W, y)
        baseline = y + height / 2 + (_ASCENT - _DESCENT) / 2 * em
        left_text, _, right_text = row.text.partition("\t")
        pdf.set_char_spacing(row.spacing * pdf.k)
        pdf.text(row.x, baseline, left_text)
        pdf.set_char_spacing(0)
        if right_text:
            pdf.text(LEFT + BODY_W - em - pdf.get_string_width(right_text), baseline, right_text)
    pdf.set_line_width(0.35)
    pdf.line(LEFT, bottom, LEFT + BODY_W, bottom)
