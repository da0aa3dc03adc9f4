"""The USCC (GB 32100 + GB 11714) and project-code validators, by examples and by properties."""

from __future__ import annotations

import string
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.identifiers import (
    USCC_CHARSET,
    USCCError,
    org_code_check_char,
    uscc_check_char,
    validate_project_code,
    validate_uscc,
)

REAL_AND_SYNTHETIC_VALID = [
    "91310110666007217T",
    "914403001922038216",
    "91430100MA4L21R090",
    "91430100MA4L7K3PXH",
    "91430211320587162Q",
    "11430000006188200X",
    "52431202MJ3Q8W2B2Q",
    "93433101MA4Q9B3C46",
    "914301021000001200",
]


@pytest.mark.parametrize("code", REAL_AND_SYNTHETIC_VALID)
def test_published_and_synthetic_codes_are_valid(code: str) -> None:
    assert validate_uscc(code) == code


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91430100MA4L7K3PXJ", "enterprise_uscc_invalid"),
        ("91430100MAIL7K3PXH", "enterprise_uscc_charset"),
        ("91430100MA4L7K3PX", "enterprise_uscc_length"),
        ("914301045897236105", "enterprise_uscc_org_check"),
        ("91AB0100MA4L7K3PXH", "enterprise_uscc_region"),
    ],
)
def test_documented_invalid_codes_are_rejected_with_their_rule(code: str, error: str) -> None:
    with pytest.raises(USCCError) as raised:
        validate_uscc(code)
    assert raised.value.code == error


def test_input_is_trimmed_upper_cased_and_full_width_folded() -> None:
    assert validate_uscc(" ９１４３０１００ma4l7k3pxh ") == "91430100MA4L7K3PXH"


BODY_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # a USCC body never holds I, O, S, V, Z


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(["91", "92", "93", "11", "12", "51", "52", "53"]))
    region = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    body = draw(st.text(alphabet=BODY_CHARS, min_size=8, max_size=8))
    first17 = head + region + body + org_code_check_char(body)  # GB 11714 yields 0-9 or X, all in the set
    return first17 + uscc_check_char(first17)


@given(valid_codes())
def test_codes_built_with_both_check_characters_always_validate(code: str) -> None:
    assert validate_uscc(code) == code


@given(valid_codes(), st.integers(min_value=0, max_value=17), st.sampled_from(USCC_CHARSET))
def test_any_single_character_substitution_is_detected(code: str, position: int, replacement: str) -> None:
    if code[position] == replacement:
        return
    mutated = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(USCCError):
        validate_uscc(mutated)


@given(valid_codes(), st.integers(min_value=0, max_value=16))
def test_swapping_two_different_adjacent_characters_is_detected(code: str, position: int) -> None:
    a, b = code[position], code[position + 1]
    if a == b:
        return
    swapped = code[:position] + b + a + code[position + 2 :]
    with pytest.raises(USCCError):
        validate_uscc(swapped)


@given(st.text(max_size=30))
def test_validator_never_fails_with_anything_but_a_uscc_error(raw: str) -> None:
    try:
        validate_uscc(raw)
    except USCCError as error:
        assert error.code.startswith("enterprise_uscc_")


def gb_32100_check(first17: str) -> str:
    """The standard's formula, spelled out: weights 3^i mod 31, check = 31 - (sum mod 31)."""
    total = sum(USCC_CHARSET.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return USCC_CHARSET[(31 - total % 31) % 31]


def gb_11714_check(body8: str) -> str:
    """Digits are their value, letters A-Z 10-35; check = 11 - (sum mod 11), 10 as X, 11 as 0."""
    total = sum(int(c, 36) * w for c, w in zip(body8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    return {10: "X", 11: "0"}.get(11 - total % 11, str(11 - total % 11))


@given(st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17))
def test_the_uscc_check_character_is_the_gb_32100_one(first17: str) -> None:
    assert uscc_check_char(first17) == gb_32100_check(first17)


@given(st.text(alphabet=string.digits + string.ascii_uppercase, min_size=8, max_size=8))
def test_the_organisation_code_check_character_is_the_gb_11714_one(body8: str) -> None:
    assert org_code_check_char(body8) == gb_11714_check(body8)


@pytest.mark.parametrize(("check", "text"), [(uscc_check_char, "9143010"), (org_code_check_char, "MA4L7K3PX")])
def test_check_characters_need_exactly_their_positions(check: Callable[[str], str], text: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        check(text)


@pytest.mark.parametrize("code", ["2020-430100-39-03-012345", "2411-130202-89-01-637015", " 2603-141124-89-05-346948 "])
def test_project_codes_of_both_generations_have_the_right_shape(code: str) -> None:
    assert validate_project_code(code) == code.strip()


@pytest.mark.parametrize("code", ["2020-430100-39-03-01234", "2020430100390301234500", "2020-43010A-39-03-012345"])
def test_malformed_project_codes_are_rejected(code: str) -> None:
    with pytest.raises(ValueError, match="项目代码格式"):
        validate_project_code(code)
