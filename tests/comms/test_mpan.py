"""MPAN recognition, so MPAN details are never sent by email (§10.5.5)."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from comms.mpan import (
    MpanValidator,
    contains_mpan,
    find_mpans,
    find_mpans_in_html,
    is_valid_mpan_core,
    mpan_check_digit,
    mpan_validator,
    validate_mpan,
)

# Worked by hand: sum of digit x prime (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43),
# then mod 11, then mod 10.
# 1*3 + 2*5 + 3*7 + 4*13 + 5*17 + 6*19 + 7*23 + 8*29 + 9*31 + 0*37 + 1*41 + 2*43 = 1084;
# 1084 mod 11 = 6.
KNOWN_CORE = "1234567890126"
# 2*3 + 1*19 + 2*23 + 3*29 + 4*31 + 5*37 + 6*41 + 7*43 = 1014; 1014 mod 11 = 2.
KNOWN_CORE_2 = "2000012345672"
# 1*3 + 1*29 = 32; 32 mod 11 = 10; 10 mod 10 = 0.
KNOWN_CORE_MOD_TEN = "1000000100000"


def with_check_digit(first_twelve):
    """Independent, plain reimplementation of the MPAN check digit."""
    primes = [3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43]
    total = 0
    for position in range(12):
        total = total + int(first_twelve[position]) * primes[position]
    remainder = total % 11
    if remainder == 10:
        remainder = 0
    return first_twelve + str(remainder)


def with_wrong_check_digit(first_twelve):
    right = with_check_digit(first_twelve)[-1]
    return first_twelve + str((int(right) + 1) % 10)


GENERATED_CORES = [
    with_check_digit(first)
    for first in ["109876543210", "230000000001", "170012345678", "141111111111", "999999999999"]
]


def test_known_literals_have_valid_check_digits():
    """§10.5.5: the hand-worked examples agree with both implementations."""
    for core in (KNOWN_CORE, KNOWN_CORE_2, KNOWN_CORE_MOD_TEN):
        assert with_check_digit(core[:12]) == core
        assert mpan_check_digit(core[:12]) == int(core[-1])
        assert is_valid_mpan_core(core)


@pytest.mark.parametrize("core", GENERATED_CORES)
def test_core_with_valid_check_digit_is_valid(core):
    """§10.5.5: a 13-digit core whose check digit holds is an MPAN."""
    assert is_valid_mpan_core(core)
    assert validate_mpan(core) == core


@pytest.mark.parametrize("first_twelve", ["123456789012", "109876543210", "200001234567"])
def test_core_with_wrong_check_digit_is_invalid(first_twelve):
    """§10.5.5: a 13-digit number whose check digit fails is not an MPAN."""
    core = with_wrong_check_digit(first_twelve)
    assert not is_valid_mpan_core(core)
    with pytest.raises(ValidationError):
        validate_mpan(core)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_check_digit_matches_independent_implementation(first_twelve):
    """§10.5.5: the check digit agrees with a plain reimplementation for any twelve digits."""
    assert with_check_digit(first_twelve) == first_twelve + str(mpan_check_digit(first_twelve))


@pytest.mark.parametrize("written", ["12 3456 7890 126", "1234-5678-9012-6", " 1234567890126 "])
def test_core_is_valid_with_spaces_or_hyphens(written):
    """§10.5.5: cores are recognised however they are grouped."""
    assert is_valid_mpan_core(written)
    assert validate_mpan(written) == KNOWN_CORE


@pytest.mark.parametrize("value", ["123456789012", "12345678901266", "12345678901a6", "", None])
def test_is_valid_mpan_core_rejects_wrong_shape(value):
    """§10.5.5: only exactly 13 digits can be a core."""
    assert not is_valid_mpan_core(value)


def test_check_digit_error_names_the_expected_digit():
    """§10.5.5: the message tells the user which check digit the number needs."""
    with pytest.raises(ValidationError) as raised:
        validate_mpan("12 3456 7890 123")
    assert raised.value.code == "mpan_check_digit"
    assert raised.value.messages == [
        '"12 3456 7890 123" is not a valid MPAN: the check digit should be 6.'
    ]


@pytest.mark.parametrize(
    "written",
    [
        "01 801 100 " + KNOWN_CORE,
        "01801100" + KNOWN_CORE,
        "01-801-100-12-3456-7890-126",
        "S 01 801 100 / 12 3456 7890 126",
        "01/801/100/1234567890126",
    ],
)
def test_full_mpan_is_normalised_to_21_digits(written):
    """§10.5.5: the full MPAN is top line (profile class, MTC, LLFC) plus core."""
    assert validate_mpan(written) == "01801100" + KNOWN_CORE


def test_full_mpan_with_bad_core_reports_check_digit():
    """§10.5.5: the core of a full MPAN must pass its check digit."""
    with pytest.raises(ValidationError) as raised:
        validate_mpan("01 801 100 12 3456 7890 123")
    assert raised.value.code == "mpan_check_digit"
    assert "the check digit should be 6" in raised.value.messages[0]


@pytest.mark.parametrize("profile_class", ["00", "04", "08"])
def test_full_mpan_accepts_profile_classes_zero_to_eight(profile_class):
    """§10.5.5: profile classes 00 to 08 exist."""
    assert validate_mpan(f"{profile_class} 801 100 {KNOWN_CORE}")[:2] == profile_class


@pytest.mark.parametrize("profile_class", ["09", "10", "99"])
def test_full_mpan_rejects_profile_class_out_of_range(profile_class):
    """§10.5.5: a profile class above 08 is not a full MPAN."""
    with pytest.raises(ValidationError) as raised:
        validate_mpan(f"{profile_class} 801 100 {KNOWN_CORE}")
    assert raised.value.code == "mpan_profile_class"
    assert f"profile class {profile_class}" in raised.value.messages[0]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("123456789012", "mpan_length"),
        ("12345678901266", "mpan_length"),
        ("1234567890126" + "0", "mpan_length"),
        ("MPAN 1234567890126", "mpan_characters"),
        ("1234.5678.9012.6", "mpan_characters"),
        ("", "mpan_characters"),
    ],
)
def test_validate_mpan_rejects_wrong_shape(value, code):
    """§10.5.5: anything other than 13 or 21 digits is refused with a clear reason."""
    with pytest.raises(ValidationError) as raised:
        validate_mpan(value)
    assert raised.value.code == code
    assert "is not a valid MPAN" in raised.value.messages[0]


def test_validator_callable_for_fields():
    """§10.5.5: the field validator accepts MPANs and refuses bad check digits."""
    validator = MpanValidator()
    assert validator(KNOWN_CORE) is None
    assert mpan_validator("01 801 100 " + KNOWN_CORE) is None
    with pytest.raises(ValidationError):
        validator("1234567890123")
    assert validator == MpanValidator()
    assert validator.deconstruct() == ("comms.mpan.MpanValidator", (), {})


def test_finds_core_in_prose():
    """§10.5.5: an MPAN typed into a message body is found."""
    text = f"Hi, the meter at MPAN {KNOWN_CORE} is still not reading. Thanks."
    assert find_mpans(text) == [KNOWN_CORE]


@pytest.mark.parametrize(
    "written",
    [
        "12 3456 7890 126",
        "1234-5678-9012-6",
        "12\u00a03456\u00a07890\u00a0126",
        "MPAN:1234567890126.",
        "(1234567890126)",
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12\uff16",
        "123\u200b4567890126",
    ],
)
def test_finds_grouped_or_disguised_core(written):
    """§10.5.5: grouping, NBSP, full-width digits and invisible characters do not hide it."""
    assert find_mpans(f"Please check {written} for us") == [KNOWN_CORE]


@pytest.mark.parametrize(
    "written",
    [
        "01 801 100 12 3456 7890 126",
        "S 01 801 100 / 12 3456 7890 126",
        "018011001234567890126",
        "01-801-100-1234567890126",
    ],
)
def test_finds_core_inside_full_mpan(written):
    """§10.5.5: the core of a full MPAN is found, and reported once."""
    assert find_mpans(f"Supply {written} has failed") == [KNOWN_CORE]


def test_finds_several_mpans_once_each_in_order():
    """§10.5.5: every distinct MPAN in a text is reported, in order of appearance."""
    first, second = GENERATED_CORES[0], GENERATED_CORES[1]
    text = f"Sites {second} and {first}; again {second}."
    assert find_mpans(text) == [second, first]
    assert contains_mpan("nothing here", text)


def test_finds_core_set_apart_within_grouped_digits():
    """§10.5.5: a core that is a whole group within a longer run is still found."""
    assert find_mpans(f"ref 42 {KNOWN_CORE}") == [KNOWN_CORE]


def test_ignores_core_cut_from_longer_contiguous_number():
    """§10.5.5: 13 digits inside a longer unbroken number are not an MPAN on their own."""
    assert find_mpans("9" + KNOWN_CORE) == []
    assert find_mpans(KNOWN_CORE + "9") == []
    # 21 digits: only the last 13 are a core, never the first 13.
    assert find_mpans(KNOWN_CORE + "00000000") == []
    assert find_mpans("9" + "01801100" + KNOWN_CORE) == []


def test_no_false_positive_for_wrong_check_digit():
    """§10.5.5: a 13-digit number whose check digit fails is left alone."""
    for first_twelve in ("123456789012", "109876543210", "300000000000"):
        wrong = with_wrong_check_digit(first_twelve)
        assert find_mpans(f"Order number {wrong} shipped") == []
        assert not contains_mpan(wrong)


@pytest.mark.parametrize(
    "text",
    [
        "Call the service desk on 03700 106950 or +44 (0)3700 106950.",
        "Phone 0370 010 6950, mobile 07700 900123.",
        "Your case CS0001234 and incident INC0012345 are linked to CHG0004567.",
        "Raised 2024-01-15 10:30:00, updated 15/01/2024 14:45, due Monday 15 January 2024.",
        "Window 2024-03-31 01:00 to 2024-03-31 02:00 BST (UTC+1).",
        "Items 1 2 3 4 5 6 7 8 9 10 11 12 13 were checked.",
        "Card 4111 1111 1111 1111 was declined.",
    ],
)
def test_no_false_positive_for_everyday_numbers(text):
    """§10.5.5: phone numbers, ticket numbers, dates and lists are not MPANs."""
    assert find_mpans(text) == []
    assert not contains_mpan(text)


def test_number_touching_letters_is_not_joined_to_neighbours():
    """§10.5.5: a ticket number's digits are not glued to the next number to make a core."""
    core = with_check_digit("000123412345")
    assert find_mpans(f"{core[:7]} {core[7:]}") == [core]
    assert find_mpans(f"CS{core[:7]} {core[7:]}") == []


def test_finds_core_split_by_inline_tags():
    """§10.5.5: markup between digits does not hide an MPAN."""
    assert find_mpans_in_html("<p>MPAN 12<b>3456</b>7890<!-- x -->126</p>") == [KNOWN_CORE]


def test_finds_core_written_as_entities():
    """§10.5.5: numeric and named entities are decoded before searching."""
    encoded = "".join(f"&#{ord(digit)};" for digit in KNOWN_CORE)
    assert find_mpans_in_html(f"<div>{encoded}</div>") == [KNOWN_CORE]
    assert find_mpans_in_html("<p>12&nbsp;3456&nbsp;7890&nbsp;126</p>") == [KNOWN_CORE]
    assert find_mpans_in_html("&#x31;234567890126") == [KNOWN_CORE]


def test_finds_core_in_html_attribute():
    """§10.5.5: an MPAN in a link is still sent by email."""
    html = f'<a href="https://example.com/meter?mpan={KNOWN_CORE}">meter</a>'
    assert find_mpans_in_html(html) == [KNOWN_CORE]


def test_html_whitespace_collapses_as_rendered():
    """§10.5.5: a line break in the HTML source renders as a space, so groups still join."""
    assert find_mpans_in_html("<p>12 3456\n   7890 126</p>") == [KNOWN_CORE]


def test_html_table_cells_are_separate_numbers():
    """§10.5.5: digits in neighbouring cells are not joined into a core."""
    core = KNOWN_CORE
    html = f"<table><tr><td>{core[:7]}</td><td>{core[7:]}</td></tr></table>"
    assert find_mpans_in_html(html) == []
    assert find_mpans_in_html(f"<td>01 801 100</td><td>{core}</td>") == [core]


def test_contains_mpan_reads_html_parts():
    """§10.5.5: one call covers subject, text and HTML bodies of a message."""
    assert contains_mpan("Case CS0001234 updated", "", "<p>12<i>3456</i>7890126</p>")
    assert not contains_mpan("Case CS0001234 updated", "<p>See the portal.</p>")
    assert not contains_mpan()
