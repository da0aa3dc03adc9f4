"""文号 formatting and parsing; kinds and urgency with their labels."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notify.docnumber import (
    ISSUERS,
    KIND_CODES,
    KIND_LABELS,
    URGENCY_LABELS,
    CircularKind,
    DocumentNumber,
    DocumentNumberInvalid,
    Issuer,
    Urgency,
    format_number,
    parse_number,
)

OFFICE = ISSUERS[0]


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        (CircularKind.bulletin, "湘万千百办通〔2026〕12号"),
        (CircularKind.notice, "湘万千百办发〔2026〕12号"),
        (CircularKind.supervision_letter, "湘万千百办督〔2026〕12号"),
        (CircularKind.reminder, "湘万千百办提〔2026〕12号"),
        (CircularKind.experience, "湘万千百办交〔2026〕12号"),
    ],
)
def test_each_kind_has_its_own_code(kind: CircularKind, text: str) -> None:
    assert format_number(OFFICE, kind, 2026, 12) == text
    assert parse_number(text) == DocumentNumber("湘万千百办", kind, 2026, 12)


def test_labels_are_the_chinese_names() -> None:
    assert [KIND_LABELS[k] for k in CircularKind] == ["通报", "通知", "督办函", "提醒", "经验交流"]
    assert [URGENCY_LABELS[u] for u in Urgency] == ["特急", "加急", "平件"]
    assert len(set(KIND_CODES.values())) == len(CircularKind)


def test_issuer_prefixes_are_distinct() -> None:
    assert len({i.prefix for i in ISSUERS}) == len(ISSUERS)
    assert len({i.code for i in ISSUERS}) == len(ISSUERS)


def test_an_issuer_prefix_ending_like_a_kind_code_parses() -> None:
    # 湘交万千百 + 交 (经验交流): the kind is always the character before the bracket.
    transport = next(i for i in ISSUERS if i.code == "jtt")
    text = format_number(transport, CircularKind.experience, 2027, 3)
    assert text == "湘交万千百交〔2027〕3号"
    assert parse_number(text) == DocumentNumber("湘交万千百", CircularKind.experience, 2027, 3)


@pytest.mark.parametrize(
    "typed",
    ["湘万千百办通[2026]12号", "湘万千百办通［2026］12号", "湘万千百办通【2026】12号", "湘万千百办通(2026)12号",
     "湘万千百办通（2026）12号", "湘万千百办通﹝2026﹞12号", "  湘万千百办通〔2026〕12号 "],
)  # fmt: skip
def test_typed_brackets_are_accepted_and_normalised(typed: str) -> None:
    assert str(parse_number(typed)) == "湘万千百办通〔2026〕12号"


@pytest.mark.parametrize(
    "text",
    [
        "湘万千百办通〔2026〕012号",  # 不编虚位
        "湘万千百办通〔2026〕第12号",
        "湘万千百办通〔2026〕0号",
        "湘万千百办通〔26〕12号",
        "湘万千百办通〔2026〕12",
        "湘万千百办〔2026〕12号",  # no kind
        "湘万千百办函〔2026〕12号",  # unknown kind
        "湘政办发〔2022〕4号",  # not a registered issuer
        "湘万千百办通〔2026〕12号附件",
        "",
    ],
)
def test_malformed_numbers_are_refused(text: str) -> None:
    with pytest.raises(DocumentNumberInvalid):
        parse_number(text)


def test_parsing_against_another_issuer_table() -> None:
    city = Issuer("cs", "长沙市产业发展“万千百”工程工作专班办公室", "长万千百办")
    assert parse_number("长万千百办督〔2026〕1号", [city]).kind is CircularKind.supervision_letter
    with pytest.raises(DocumentNumberInvalid):
        parse_number("湘万千百办督〔2026〕1号", [city])


@pytest.mark.parametrize(
    ("prefix", "year", "sequence"),
    [("", 2026, 1), ("湘 万千百办", 2026, 1), ("湘〔办", 2026, 1), ("湘万千百办", 1900, 1), ("湘万千百办", 2026, 0)],
)
def test_invalid_parts_are_refused(prefix: str, year: int, sequence: int) -> None:
    with pytest.raises(DocumentNumberInvalid):
        DocumentNumber(prefix, CircularKind.bulletin, year, sequence)


@given(
    st.sampled_from(ISSUERS),
    st.sampled_from(list(CircularKind)),
    st.integers(min_value=1949, max_value=9999),
    st.integers(min_value=1, max_value=10**6),
)
def test_format_then_parse_round_trips(issuer: Issuer, kind: CircularKind, year: int, sequence: int) -> None:
    parsed = parse_number(format_number(issuer, kind, year, sequence))
    assert parsed == DocumentNumber(issuer.prefix, kind, year, sequence)
