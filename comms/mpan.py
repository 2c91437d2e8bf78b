"""Recognise and validate GB MPANs, so comms can keep them out of email (§10.5.5).

The manual says MPAN details are never sent by email: they go on the Case, and only the
reference number is shared. This module is pure Python (no models) so the outbound mail
path, forms and model fields can all ask the same question.

An MPAN core is 13 digits whose last digit is a check digit over the first twelve. The full
MPAN adds an 8-digit top line in front (2-digit profile class, 3-digit meter timeswitch code,
3-digit line loss factor class), 21 digits in all. People write both with spaces, hyphens or
slashes between groups ("01 801 100 / 12 3456 7890 126", "1234-5678-9012-6").

Detection accepts one cost knowingly: any 13-digit number has about a 1 in 11 chance of
carrying a valid check digit, so an unrelated 13-digit number is occasionally reported. The
grouping rules in `find_mpans` keep shorter numbers (phones, dates, ticket numbers) from
being glued together into such candidates.
"""

import re
import unicodedata
from html.parser import HTMLParser

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

__all__ = [
    "MpanValidator",
    "contains_mpan",
    "find_mpans",
    "find_mpans_in_html",
    "is_valid_mpan_core",
    "mpan_check_digit",
    "mpan_validator",
    "validate_mpan",
]

CORE_LENGTH = 13
FULL_LENGTH = 21
TOP_LINE_LENGTH = FULL_LENGTH - CORE_LENGTH

# One prime per digit of the core's first twelve, in order (MRA check digit algorithm).
_CHECK_WEIGHTS = (3, 5, 7, 13, 17, 19, 23, 29, 31, 37, 41, 43)
_MAX_PROFILE_CLASS = 8

_CORE_SEPARATORS = re.compile(r"[\s\-]+")
_FULL_SEPARATORS = re.compile(r"[\s\-/]+")
# A leading "S" marks the supplementary-data box of the printed full MPAN.
_S_PREFIX = re.compile(r"^[Ss](?=[\s\-/])")

# Between digit groups in free text: one space or one hyphen (NBSP becomes a space under
# NFKC). Wider gaps, newlines and en dashes separate numbers rather than group them.
_DIGIT_RUN = re.compile(r"[0-9]+(?:[ \-\u2010\u2011][0-9]+)*")
_DIGIT_GROUP = re.compile(r"[0-9]+")
# Invisible characters that render as nothing, so digits either side read as one number.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# Most groups a written core (e.g. "12 3456 7890 126") or full MPAN
# (e.g. "01 801 100 12 3456 7890 126") is split into; more looks like a list of numbers.
_MAX_GROUPS = {CORE_LENGTH: 5, FULL_LENGTH: 8}


def mpan_check_digit(first_twelve: str) -> int:
    """Return the check digit for the first twelve digits of an MPAN core."""
    if len(first_twelve) != CORE_LENGTH - 1 or not first_twelve.isascii():
        raise ValueError("expected the first 12 digits of an MPAN core")
    total = sum(
        int(digit) * weight for digit, weight in zip(first_twelve, _CHECK_WEIGHTS, strict=True)
    )
    return total % 11 % 10


def _core_is_valid(digits: str) -> bool:
    return (
        len(digits) == CORE_LENGTH
        and digits.isascii()
        and digits.isdigit()
        and mpan_check_digit(digits[:-1]) == int(digits[-1])
    )


def is_valid_mpan_core(value: str) -> bool:
    """True if `value` is 13 digits (spaces and hyphens ignored) with a valid check digit."""
    if not isinstance(value, str):
        return False
    return _core_is_valid(_CORE_SEPARATORS.sub("", value))


def validate_mpan(value: str) -> str:
    """Return the digits of a 13-digit core or 21-digit full MPAN, or raise ValidationError.

    Spaces, hyphens and slashes between groups are allowed, as is the leading "S" of the
    printed full form. The full form's profile class must be 00 to 08.
    """
    shown = str(value).strip()
    digits = _FULL_SEPARATORS.sub("", _S_PREFIX.sub("", shown))
    params = {"value": shown}
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValidationError(
            '"%(value)s" is not a valid MPAN: use only digits, optionally grouped with '
            "spaces, hyphens or slashes.",
            code="mpan_characters",
            params=params,
        )
    if len(digits) not in (CORE_LENGTH, FULL_LENGTH):
        raise ValidationError(
            '"%(value)s" is not a valid MPAN: it has %(length)d digits; expected 13 (the '
            "MPAN core) or 21 (the full MPAN).",
            code="mpan_length",
            params={**params, "length": len(digits)},
        )
    if len(digits) == FULL_LENGTH:
        profile_class = int(digits[:2])
        if profile_class > _MAX_PROFILE_CLASS:
            raise ValidationError(
                '"%(value)s" is not a valid MPAN: the profile class %(profile_class)s '
                "should be between 00 and 08.",
                code="mpan_profile_class",
                params={**params, "profile_class": digits[:2]},
            )
    core = digits[-CORE_LENGTH:]
    expected = mpan_check_digit(core[:-1])
    if expected != int(core[-1]):
        raise ValidationError(
            '"%(value)s" is not a valid MPAN: the check digit should be %(expected)d.',
            code="mpan_check_digit",
            params={**params, "expected": expected},
        )
    return digits


@deconstructible
class MpanValidator:
    """Field validator accepting an MPAN core or full MPAN, as `validate_mpan` does."""

    def __call__(self, value: str) -> None:
        validate_mpan(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MpanValidator)

    def __hash__(self) -> int:
        return hash(MpanValidator)


mpan_validator = MpanValidator()


def _normalise_text(text: str) -> str:
    # NFKC turns full-width digits and NBSP into ASCII; dropping invisible characters joins
    # digits the reader sees as one number.
    return unicodedata.normalize("NFKC", text.translate(_INVISIBLE))


def _cores_in_run(groups: list[str], *, attached_left: bool, attached_right: bool):
    """Yield each valid core in one run of digit groups, left to right, without overlaps.

    A candidate is a whole number of consecutive groups, so contiguous digits are never
    split, except that a 21-digit candidate is read as top line plus core. A group touching
    a letter ("CS0001234") is an identifier of its own and is never joined to its neighbours.
    """
    last = len(groups) - 1
    start = 0
    while start <= last:
        found = None
        for length in (FULL_LENGTH, CORE_LENGTH):
            digits = ""
            end = start
            while end <= last and len(digits) < length and end - start < _MAX_GROUPS[length]:
                digits += groups[end]
                end += 1
            joined = end - start > 1
            touches_letter = (attached_left and start == 0) or (attached_right and end > last)
            if len(digits) != length or (joined and touches_letter):
                continue
            if _core_is_valid(digits[-CORE_LENGTH:]):
                found = (digits[-CORE_LENGTH:], end)
                break
        if found:
            yield found[0]
            start = found[1]
        else:
            start += 1


def find_mpans(text: str) -> list[str]:
    """Return the distinct MPAN cores with a valid check digit in `text`, in order of appearance.

    Found: a 13-digit core written contiguously or grouped by single spaces or hyphens
    ("12 3456 7890 126", "1234-5678-9012-6"), and the core of a 21-digit full MPAN written
    either way ("01 801 100 1234567890126"). Not found: 13 digits cut out of a longer
    contiguous number, other than the last 13 of exactly 21 digits. About 1 in 11 unrelated
    13-digit numbers pass the check digit and are reported too.
    """
    if not text:
        return []
    text = _normalise_text(text)
    found: list[str] = []
    for match in _DIGIT_RUN.finditer(text):
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        for core in _cores_in_run(
            _DIGIT_GROUP.findall(match.group()),
            attached_left=before.isalpha(),
            attached_right=after.isalpha(),
        ):
            if core not in found:
                found.append(core)
    return found


# Elements that start a new line when rendered, so digits either side are separate numbers.
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
_HTML_WHITESPACE = re.compile(r"[ \t\n\r\f]+")


class _RenderedText(HTMLParser):
    """Text as a mail client shows it, plus attribute values (a link can carry an MPAN)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.attribute_values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        self.attribute_values.extend(value for _, value in attrs if value)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(_HTML_WHITESPACE.sub(" ", data))

    def text(self) -> str:
        return "\n".join(["".join(self.parts), *self.attribute_values])


def find_mpans_in_html(html: str) -> list[str]:
    """Like `find_mpans`, on HTML with tags, comments and entities taken out first.

    Inline markup and comments are dropped so `12<b>3456</b>7890126` reads as one number,
    entities such as `&#49;` become their characters, and block elements (paragraphs,
    table cells, `<br>`) end a line. Attribute values (link URLs, alt text) are searched too.
    """
    if not html:
        return []
    parser = _RenderedText()
    parser.feed(html)
    parser.close()
    return find_mpans(parser.text())


def contains_mpan(*texts: str) -> bool:
    """True if any of `texts` (subject, plain and HTML bodies, ...) contains an MPAN core.

    A text holding markup or entities is also read as HTML, so one call covers every part
    of a message.
    """
    for text in texts:
        if not text:
            continue
        if find_mpans(text):
            return True
        if ("<" in text or "&" in text) and find_mpans_in_html(text):
            return True
    return False
