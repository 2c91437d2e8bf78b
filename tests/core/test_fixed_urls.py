"""`core.urls.reverse_fixed` (issue 9): a URL without per-request arguments is reversed once,
and stays right when the script prefix or the URLconf differ."""

import pytest
from django.urls import get_script_prefix, reverse, set_script_prefix

from core.urls import reverse_fixed


@pytest.fixture
def script_prefix():
    before = get_script_prefix()
    yield set_script_prefix
    set_script_prefix(before)


def test_a_fixed_url_is_what_reverse_gives():
    assert reverse_fixed("portal:case_list") == reverse("portal:case_list")
    placeholder = reverse_fixed("portal:case_detail", number="CS0000000")
    assert placeholder == reverse("portal:case_detail", kwargs={"number": "CS0000000"})


def test_a_fixed_url_follows_the_script_prefix(script_prefix):
    """A portal served under a path (SCRIPT_NAME) gets its own links, not another's."""
    plain = reverse_fixed("portal:case_list")
    script_prefix("/desk/")
    assert reverse_fixed("portal:case_list") == "/desk" + plain == reverse("portal:case_list")


@pytest.mark.urls("tests.core.urls_elsewhere")
def test_a_fixed_url_follows_the_urlconf():
    assert reverse_fixed("portal:case_list") == "/elsewhere/cases/"
