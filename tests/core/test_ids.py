"""Ids typed into URLs and query strings: only plain ASCII digits within bigint are ids."""

import pytest

from core.ids import ID_LIMIT, id_or_none


@pytest.mark.parametrize("value", ["1", "42", str(ID_LIMIT)])
def test_plain_digits_are_ids(value):
    assert id_or_none(value) == int(value)


@pytest.mark.parametrize(
    "value", ["", None, "0", "-1", " 3", "3 ", "²", "٣", "2/change/widgets.css", "1e3", "9" * 20]
)
def test_anything_else_is_no_id(value):
    assert id_or_none(value) is None
