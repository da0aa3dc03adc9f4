"""The official-document PDF: read back with pypdf, text and positions.

pypdf decodes the embedded CID fonts' text with a NUL before each character (poppler reads the
same file cleanly), so the helpers below drop NULs and whitespace before comparing.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from services.notify.docnumber import Urgency
from services.notify.document import PT, SIZE_3, OfficialDocument, chinese_date, render_pdf
from services.notify.fonts import DocumentFonts, FontsMissing, find_document_fonts

OFFICE = "湖南省产业发展“万千百”工程工作专班办公室"
OPENING = (
    "为贯彻落实《湖南省人民政府办公厅关于印发〈湖南省产业发展“万千百”工程实施方案〉的通知》"
    "（湘政办发〔2022〕4号）精神，现将2026年第三季度调度情况通报如下。"
)
PROBLEMS = "部分项目前期工作推进缓慢，土地审批、环评等要素保障不足；个别企业未按时报送调度数据。"
REQUIREMENTS = "各市州、各有关部门要对照目标任务，逐项逐条抓好落实，确保完成全年目标任务。"

DOC = OfficialDocument(
    issuer_name=OFFICE,
    number="湘万千百办通〔2026〕12号",
    title="关于2026年第三季度产业发展“万千百”工程重点项目调度情况的通报",
    recipients=("各市州人民政府", "省直有关单位"),
    paragraphs=(OPENING, "一、总体情况。截至9月底，全省百亿级项目累计完成投资1,234.56亿元。", PROBLEMS, REQUIREMENTS),
    signatory=OFFICE,
    issued_on=date(2026, 12, 1),
)


@pytest.fixture(scope="module")
def fonts() -> DocumentFonts:
    # No skip: without the fonts the service cannot render circulars, so the suite must say so.
    return find_document_fonts()


def clean(text: str) -> str:
    return "".join(c for c in text.replace("\x00", "") if not c.isspace())


def page_texts(pdf: bytes) -> list[str]:
    return [clean(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def runs(pdf: bytes, page: int) -> list[tuple[str, float, float, float]]:
    """(text, x, y, font size) of each text operation, in points from the bottom left."""
    found: list[tuple[str, float, float, float]] = []

    def visit(text: str, cm: object, tm: list[float], font: object, size: float) -> None:
        if clean(text):
            found.append((clean(text), tm[4], tm[5], size))

    PdfReader(io.BytesIO(pdf)).pages[page].extract_text(visitor_text=visit)
    return found


@pytest.fixture(scope="module")
def pdf(fonts: DocumentFonts) -> bytes:
    return render_pdf(DOC, fonts)


def test_pdf_opens_as_two_a4_pages(pdf: bytes) -> None:
    # The 版头 leaves the first page eleven lines: title, recipients and seven lines of body.
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    for page in reader.pages:
        box = page.mediabox
        assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)


def test_text_holds_masthead_number_title_body_and_date(pdf: bytes) -> None:
    first, second = page_texts(pdf)
    text = first.removesuffix("—1—") + second
    assert first.endswith("—1—")
    assert OFFICE + "文件" in text
    assert "湘万千百办通〔2026〕12号" in text
    assert clean(DOC.title) in text
    assert "各市州人民政府、省直有关单位：" in text
    for sentence in (OPENING, PROBLEMS, REQUIREMENTS, "累计完成投资1,234.56亿元"):
        assert clean(sentence) in text
    assert text.endswith(OFFICE + "2026年12月1日—2—")


def test_metadata_names_title_number_and_issuer(pdf: bytes) -> None:
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert meta is not None
    assert (meta.title, meta.subject, meta.author) == (DOC.title, DOC.number, OFFICE)


def test_embedded_fonts_are_the_simplified_chinese_faces(fonts: DocumentFonts) -> None:
    urgent = render_pdf(replace(DOC, urgency=Urgency.urgent), fonts)
    resources = PdfReader(io.BytesIO(urgent)).pages[0]["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    embedded = resources["/Font"].get_object()
    assert isinstance(embedded, DictionaryObject)
    names = sorted(str(font.get_object()["/BaseFont"]).split("+")[1] for font in embedded.values())
    assert names == ["NotoSansCJKSC", "NotoSerifCJKSC", "NotoSerifCJKSCBold"]


def test_layout_of_the_first_page(pdf: bytes) -> None:
    found = runs(pdf, 0)
    by_text = {text: (x, y, size) for text, x, y, size in found}
    left, right = 28 / 25.4 * 72, (28 + 156) / 25.4 * 72
    em = SIZE_3

    _, masthead_y, masthead_size = by_text[OFFICE + "文件"]
    assert masthead_size > 22
    number_x, number_y, _ = by_text["湘万千百办通〔2026〕12号"]
    assert masthead_y > number_y
    assert number_x > left + 30  # centred
    title_runs = [(t, x, y, s) for t, x, y, s in found if s == 22]
    assert "".join(t for t, *_ in title_runs) == clean(DOC.title)
    assert len(title_runs) == 2
    assert all(left < x < left + 80 for _, x, _, _ in title_runs)  # centred, not flush left

    recipients_x, recipients_y, _ = by_text["各市州人民政府、省直有关单位："]
    assert recipients_x == pytest.approx(left, abs=0.1)
    body = [(t, x) for t, x, y, s in found if s == SIZE_3 and y < recipients_y and t != OFFICE]
    first_line_x = body[0][1]
    assert first_line_x == pytest.approx(left + 2 * em, abs=0.1)  # two characters in
    assert body[1][1] == pytest.approx(left, abs=0.1)
    assert len(body[0][0]) == 26 and len(body[1][0]) >= 27  # 28 full-width characters a line

    number_text, page_x, page_y, page_size = found[-1]
    assert (number_text, page_size) == ("—1—", 14)
    assert page_x > right - 60  # odd page: at the right
    assert page_y == pytest.approx((297 - 37 - 225 - 7) / 25.4 * 72 - 0.33 * 14, abs=1)


def test_signature_two_characters_from_the_right_and_date_two_further_in(pdf: bytes) -> None:
    found = runs(pdf, 1)
    by_text = {text: (x, y) for text, x, y, _ in found}
    right = (28 + 156) / 25.4 * 72
    signature_x, signature_y = by_text[OFFICE]
    date_x, date_y = by_text["2026年12月1日"]
    assert date_x - signature_x == pytest.approx(2 * SIZE_3, abs=0.1)
    assert signature_y - date_y == pytest.approx(225 / 22 / 25.4 * 72, abs=0.1)  # the next grid line
    assert signature_x < right - 2 * SIZE_3


def test_long_body_flows_over_pages_with_numbers_left_and_right(fonts: DocumentFonts) -> None:
    long = replace(DOC, paragraphs=DOC.paragraphs * 6)
    pdf = render_pdf(long, fonts)
    texts = page_texts(pdf)
    assert len(texts) == 4
    assert [t[-3:] for t in texts] == ["—1—", "—2—", "—3—", "—4—"]
    first_x = runs(pdf, 0)[-1][1]
    second_x = runs(pdf, 1)[-1][1]
    assert second_x < 28 / 25.4 * 72 + 2 * 14 < first_x
    assert clean("".join(long.paragraphs)) in "".join(t[:-3] for t in texts)


def test_signature_never_stands_on_a_page_without_body_lines(fonts: DocumentFonts) -> None:
    # Each paragraph takes two lines, and the first page has seven for the body. With 3 the
    # closing does not fit after six lines; with 4 one line would be left alone on page 2; with
    # 14 the second page has one free line after its 21.
    for count in (3, 4, 14):
        pdf = render_pdf(replace(DOC, paragraphs=(REQUIREMENTS,) * count), fonts)
        last = runs(pdf, len(PdfReader(io.BytesIO(pdf)).pages) - 1)
        body_before_signature = [t for t, *_ in last].index(OFFICE)
        assert body_before_signature >= (2 if len(PdfReader(io.BytesIO(pdf)).pages) > 1 else 1), count


def test_urgency_is_printed_top_left_unless_routine(fonts: DocumentFonts, pdf: bytes) -> None:
    first = page_texts(pdf)[0]
    assert "特急" not in first and "加急" not in first and "平件" not in first
    urgent = render_pdf(replace(DOC, urgency=Urgency.extra_urgent), fonts)
    text, x, _, _ = runs(urgent, 0)[0]
    assert (text, round(x, 1)) == ("特急", round(28 / 25.4 * 72, 1))


def test_record_holds_copy_to_and_printing_line(fonts: DocumentFonts) -> None:
    with_record = replace(
        DOC, copy_to=("省委办公厅", "省人大常委会办公厅"), printed_by=OFFICE, printed_on=date(2026, 12, 2)
    )
    text = page_texts(render_pdf(with_record, fonts))[-1]
    assert "抄送：省委办公厅，省人大常委会办公厅。" in text
    assert OFFICE + "2026年12月2日印发" in text


def test_letter_format_masthead_has_no_suffix(fonts: DocumentFonts) -> None:
    text = page_texts(render_pdf(replace(DOC, masthead_suffix=""), fonts))[0]
    assert text.startswith(OFFICE + "湘万千百办通")


def test_rendering_is_deterministic(fonts: DocumentFonts, pdf: bytes) -> None:
    assert render_pdf(DOC, fonts) == pdf


def test_chinese_date_has_no_padding() -> None:
    assert chinese_date(date(2026, 12, 1)) == "2026年12月1日"
    assert chinese_date(date(2027, 1, 9)) == "2027年1月9日"


def test_missing_fonts_name_the_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(FontsMissing, match="fonts-noto-cjk"):
        find_document_fonts([tmp_path])


def test_points_per_millimetre() -> None:
    assert pytest.approx(72 / 25.4) == 1 / PT
