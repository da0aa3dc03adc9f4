"""Chinese line breaking over a fixed-pitch width function: full-width 1.0, half-width 0.5."""

from __future__ import annotations

import itertools
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from services.notify.linebreak import NO_LINE_END, NO_LINE_START, Line, break_lines, justified_spacing


def measure(text: str) -> float:
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text)


def texts(lines: list[Line]) -> list[str]:
    return [line.text for line in lines]


def test_han_text_fills_each_line() -> None:
    assert texts(break_lines("一二三四五六七八九十", measure, 4, squeeze=0)) == ["一二三四", "五六七八", "九十"]


def test_first_line_is_indented() -> None:
    lines = break_lines("一二三四五六七八九十", measure, 4, indent=2, squeeze=0)
    assert texts(lines) == ["一二", "三四五六", "七八九十"]
    assert [line.available for line in lines] == [2, 4, 4]
    assert [line.last for line in lines] == [False, False, True]


def test_squeeze_lets_28_full_width_characters_into_27_and_a_half() -> None:
    assert len(break_lines("字" * 28, measure, 27.6, squeeze=0.015)[0].text) == 28
    assert len(break_lines("字" * 28, measure, 27.6, squeeze=0)[0].text) == 27


def test_punctuation_never_starts_a_line() -> None:
    assert texts(break_lines("一二三四，五六", measure, 4, squeeze=0)) == ["一二三", "四，五六"]


def test_closing_quote_and_full_stop_move_down_together() -> None:
    assert texts(break_lines("一二三“四”。五", measure, 5, squeeze=0)) == ["一二三", "“四”。五"]


def test_opening_mark_never_ends_a_line() -> None:
    assert texts(break_lines("一二三《四五》", measure, 4, squeeze=0)) == ["一二三", "《四五》"]


def test_numbers_and_latin_words_stay_whole() -> None:
    lines = break_lines("完成投资1,234.56亿元，达78.5%", measure, 6, squeeze=0)
    assert texts(lines) == ["完成投资", "1,234.56亿", "元，达78.5%"]


def test_dashes_and_ellipses_stay_whole() -> None:
    assert texts(break_lines("一二三四——五", measure, 4.5, squeeze=0)) == ["一二三四", "——五"]
    assert texts(break_lines("一二三四……", measure, 4.5, squeeze=0)) == ["一二三四", "……"]


def test_overlong_word_is_broken_between_characters() -> None:
    assert texts(break_lines("abcdefghij", measure, 2, squeeze=0)) == ["abcd", "efgh", "ij"]


def test_a_mark_after_a_word_filling_the_line_hangs() -> None:
    assert texts(break_lines("1,234.56，一", measure, 4, squeeze=0)) == ["1,234.56，", "一"]


def test_whitespace_at_a_break_is_dropped() -> None:
    assert texts(break_lines("ab cd ef", measure, 1.5, squeeze=0)) == ["ab", "cd", "ef"]


def test_short_quotation_stays_whole_in_titles() -> None:
    title = "关于产业发展“万千百”工程"
    assert texts(break_lines(title, measure, 8, squeeze=0)) == ["关于产业发展“万", "千百”工程"]
    assert texts(break_lines(title, measure, 8, squeeze=0, keep_quoted=True)) == ["关于产业发展", "“万千百”工程"]


def test_empty_text_has_no_lines() -> None:
    assert break_lines("", measure, 4) == []
    assert break_lines("   ", measure, 4) == []


def test_justified_spacing_fills_full_lines_only() -> None:
    full, last = break_lines("一二三四，五六", measure, 4, squeeze=0)
    assert justified_spacing(full, max_gap=1) == 0.5  # 3 wide in 4: 1 spare over 2 gaps
    assert justified_spacing(last, max_gap=1) == 0.0


def test_justified_spacing_is_negative_for_a_squeezed_line() -> None:
    (line,) = break_lines("字" * 28, measure, 27.6, squeeze=0.015)
    assert line.last
    assert justified_spacing(line, max_gap=1) < 0


def test_justified_spacing_leaves_a_sparse_line_ragged() -> None:
    line = Line("一二", 2, 10, last=False)
    assert justified_spacing(line, max_gap=1) == 0.0


HAN = st.sampled_from("产业发展万千百工程湖南省项目企业调度通报")
PUNCT = st.sampled_from("，。、；：？！“”《》（）")
WORD = st.sampled_from(["2026", "78.5%", "GDP", "1,234.56"])
PARAGRAPH = st.lists(st.one_of(HAN, HAN, HAN, PUNCT, WORD), min_size=1, max_size=120).map("".join)


@settings(max_examples=400)
@given(PARAGRAPH, st.integers(min_value=6, max_value=30))
def test_properties_of_any_paragraph(text: str, width: int) -> None:
    lines = break_lines(text, measure, width, indent=2, squeeze=0.015)
    assert "".join(texts(lines)) == text
    for line in lines:
        assert line.width == measure(line.text)
        hanging = line.text[-1] in NO_LINE_START
        assert line.width <= line.available * 1.015 or hanging or len(line.text) == 1
    for before, after in itertools.pairwise(lines):
        # A break is allowed only where both sides permit it, unless a run of marks left no choice.
        assert after.text[0] not in NO_LINE_START or all(c in NO_LINE_START for c in before.text)
        assert before.text[-1] not in NO_LINE_END or all(c in NO_LINE_END for c in before.text)
