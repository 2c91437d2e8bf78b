"""The service-desk directory (§18.4, Appendix H): every desk seeded with organisation-level
contacts and structured hours, the free text of older databases made structured, and "open
now" in UK time."""

import importlib
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from accounts.directory import (
    days_text,
    desk_contact_lines,
    desk_hours_text,
    desk_is_open_at,
    service_desk_directory,
    tel_href,
)
from accounts.models import ServiceDesk

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
structured = importlib.import_module("accounts.migrations.0013_service_desk_hours_from_text")
appendix_h = importlib.import_module("accounts.migrations.0015_service_desk_appendix_h")

APPENDIX_H = [
    "Beboc Ltd",
    "Bryt Energy Ltd",
    "BUUK Infrastructure",
    "EES Service Desk (C&C Group)",
    "Centrica PLC",
    "Champion Energy",
    "DCC Service Desk",
    "Electricity North West Service Desk",
    "Energy Assets",
    "ENGIE",
    "Equinicity Limited",
    "F & S Energy Limited",
    "Flexitricity Service Desk",
    "IMServ Service Desk",
    "Itron Metering Solutions UK Ltd",
    "Kraken Technologies (Customer & OES)",
    "National Grid Electricity Distribution",
    "NCGL - nPower Business Services",
    "Octopus Energy",
    "Power Data Associates",
    "Positive Energy Limited",
    "Procode",
    "Procode Technology Limited",
    "Retail Energy Code (REC) Help Desk",
    "Seaglass Cloud Technology Ltd",
    "Siemens Service Desk",
    "SP Energy Networks (SPEN)",
    "SSE Distribution Service Desk",
    "TotalEnergies Gas & Power Limited",
    "UK Power Networks Service Desk",
    "Unify Energy Limited",
    "United Gas & Power Ltd",
    "Wheatley Software Solutions",
]
SECTION_18_4 = [
    "MHHS Service Desk (Elexon)",
    "LDSO Service Desks",
    "MPAS Help Desk",
    "DCC Service Desk",
    "Supplier Service Desks",
    "Retail Energy Code (REC) Help Desk",
    "EES Service Desk (C&C Group)",
    "Switching Service Desk (DCC)",
    "Software Provider Desks",
    "DIP Connection Provider (DCP) Desks",
    "DTS Service Desk (Electralink)",
]


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_every_appendix_h_and_section_18_4_desk_is_in_the_directory(db):
    """Appendix H and §18.4: each organisation's desk is there, active."""
    names = set(ServiceDesk.objects.filter(active=True).values_list("name", flat=True))
    assert set(APPENDIX_H) | set(SECTION_18_4) <= names


def test_appendix_h_hours_and_contacts_are_structured(db):
    """Appendix H: days, times, bank holidays and out-of-hours arrangements as fields."""
    siemens = ServiceDesk.objects.get(name="Siemens Service Desk")
    assert siemens.open_days == [0, 1, 2, 3, 4]
    assert (siemens.opens_at, siemens.closes_at) == (time(8, 30), time(16, 30))
    assert siemens.closed_on_bank_holidays
    assert siemens.out_of_hours_phone == "02038327269"
    assert "major incidents only" in siemens.out_of_hours_notes.lower()
    ukpn = ServiceDesk.objects.get(name="UK Power Networks Service Desk")
    assert ukpn.open_all_hours and ukpn.open_days == []
    positive = ServiceDesk.objects.get(name="Positive Energy Limited")
    assert positive.email == "portal.support@pe.solutions"
    assert positive.phone == "020 3884 0020"
    assert (positive.opens_at, positive.closes_at) == (time(8, 0), time(18, 0))
    ees = ServiceDesk.objects.get(name="EES Service Desk (C&C Group)")
    assert ees.out_of_hours_phone == "0203 086 7107"
    assert "no email service out of hours" in ees.out_of_hours_notes


def test_no_personal_names_or_mobile_numbers_are_seeded(db):
    """§18.5.1: the contact "can be a shared mailbox"; Appendix H's named people and their
    mobiles are left out."""
    personal = (
        "tracey.foxley",
        "07894",
        "Heidi",
        "07787",
        "joe.beasley",
        "henryc@",
        "henri.naef",
        "joe.tsoi",
        "david.mclean",
        "angelos",
        "matt.armstrong",
        "07919",
        "07855",
    )
    for desk in ServiceDesk.objects.all():
        text = " ".join(
            str(getattr(desk, field.name) or "") for field in ServiceDesk._meta.concrete_fields
        )
        for value in personal:
            assert value not in text, (desk.name, value)


def test_seeding_again_changes_nothing_and_keeps_what_an_admin_entered(db):
    """The data migration is idempotent and never overwrites an admin's entry."""
    ServiceDesk.objects.filter(name="Procode").update(phone="01202 000000")
    ServiceDesk.objects.filter(name="ENGIE").delete()
    before = ServiceDesk.objects.count()

    appendix_h.seed(apps, None)
    appendix_h.seed(apps, None)

    assert ServiceDesk.objects.count() == before + 1
    assert ServiceDesk.objects.get(name="Procode").phone == "01202 000000"
    assert ServiceDesk.objects.get(name="ENGIE").phone == "01322 627770"


def test_seeding_an_existing_desk_fills_only_empty_fields_and_missing_hours(db):
    desk = ServiceDesk.objects.get(name="Octopus Energy")
    ServiceDesk.objects.filter(pk=desk.pk).update(
        email="", open_days=[], opens_at=None, closes_at=None
    )

    appendix_h.seed(apps, None)

    desk.refresh_from_db()
    assert desk.email == "mhhs-notifications@octoenergy.com"
    assert desk.open_days == [0, 1, 2, 3, 4] and desk.opens_at == time(9, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24/7/365", {"open_all_hours": True}),
        ("24x7", {"open_all_hours": True}),
        (
            "Mon-Fri 08:30 to 16:30 excluding bank holidays",
            {
                "open_days": [0, 1, 2, 3, 4],
                "opens_at": time(8, 30),
                "closes_at": time(16, 30),
                "closed_on_bank_holidays": True,
            },
        ),
        (
            "08.30-17.00",
            {"open_days": [0, 1, 2, 3, 4], "opens_at": time(8, 30), "closes_at": time(17, 0)},
        ),
        ("whenever someone is in", {"hours_note": "whenever someone is in"}),
        ("", {}),
    ],
)
def test_free_text_hours_become_structured(text, expected):
    """The migration of older databases: what the fields can hold is parsed; the rest is kept
    word for word in the note."""
    assert structured.hours_from_text(text) == expected


def test_free_text_with_two_windows_keeps_the_text_as_a_note():
    values = structured.hours_from_text(
        "Incident Management Mon-Fri 07:30 to 18:00; Service Centre 24/7"
    )
    assert values["opens_at"] == time(7, 30)
    assert values["hours_note"] == "Incident Management Mon-Fri 07:30 to 18:00; Service Centre 24/7"


def test_free_text_out_of_hours_contact_is_split():
    assert structured.out_of_hours_from_text(
        "0203 086 7107 (P1 and P2 only; no email service out of hours)"
    ) == {
        "out_of_hours_phone": "0203 086 7107",
        "out_of_hours_notes": "P1 and P2 only; no email service out of hours",
    }
    assert structured.out_of_hours_from_text("operator@flexitricity.com, 0131 221 8104") == {
        "out_of_hours_email": "operator@flexitricity.com",
        "out_of_hours_phone": "0131 221 8104",
    }


def _desk(**values) -> ServiceDesk:
    defaults = {"name": "Test desk", "owner": "Test", "query_types": "Tests"}
    return ServiceDesk(**{**defaults, **values})


WEEKDAY_DESK = {"open_days": [0, 1, 2, 3, 4], "opens_at": time(9, 0), "closes_at": time(17, 0)}


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (london(2026, 6, 1, 9, 0), True),  # Monday opening time
        (london(2026, 6, 1, 16, 59), True),
        (london(2026, 6, 1, 17, 0), False),  # closing time is closed
        (london(2026, 6, 1, 8, 59), False),
        (london(2026, 6, 6, 12, 0), False),  # Saturday
        # 08:30 UTC in June is 09:30 in London (BST): open; in January it is 08:30: closed.
        (datetime(2026, 6, 1, 8, 30, tzinfo=UTC), True),
        (datetime(2026, 1, 5, 8, 30, tzinfo=UTC), False),
    ],
)
def test_open_now_is_judged_in_uk_time(at, expected):
    assert desk_is_open_at(_desk(**WEEKDAY_DESK), at) is expected


def test_bank_holidays_close_only_the_desks_that_say_so():
    """Appendix H: "Excluding Bank Holidays" for some desks; Easter Monday 2026 is 6 April."""
    easter_monday = london(2026, 4, 6, 12, 0)
    assert desk_is_open_at(_desk(**WEEKDAY_DESK), easter_monday) is True
    assert (
        desk_is_open_at(_desk(**WEEKDAY_DESK, closed_on_bank_holidays=True), easter_monday) is False
    )


def test_a_desk_open_all_hours_is_always_open_and_unknown_hours_are_unknown():
    assert desk_is_open_at(_desk(open_all_hours=True), london(2026, 12, 25, 3, 0)) is True
    assert desk_is_open_at(_desk(), london(2026, 6, 1, 12, 0)) is None


def test_hours_in_words():
    assert days_text([0, 1, 2, 3, 4]) == "Monday to Friday"
    assert days_text([0, 1, 2, 3, 4, 5, 6]) == "Every day"
    assert days_text([0, 2, 5, 6]) == "Monday, Wednesday and Saturday and Sunday"
    assert (
        desk_hours_text(_desk(**WEEKDAY_DESK, closed_on_bank_holidays=True))
        == "Monday to Friday, 09:00 to 17:00 (closed on bank holidays)"
    )
    assert desk_hours_text(_desk(open_all_hours=True)) == "24 hours, every day"
    assert desk_hours_text(_desk()) == ""


def test_contact_lines_carry_contacts_hours_and_out_of_hours():
    desk = _desk(
        **WEEKDAY_DESK,
        email="desk@example.com",
        phone="0203 000 0000",
        out_of_hours_phone="0203 111 1111",
        out_of_hours_notes="P1 only",
    )
    assert desk_contact_lines(desk) == [
        "Email: desk@example.com",
        "Phone: 0203 000 0000",
        "Opening hours (UK time): Monday to Friday, 09:00 to 17:00",
        "Out of hours: 0203 111 1111; P1 only",
    ]


def test_phone_links_dial_the_number_only():
    assert tel_href("0203 086 7205 (option 7)") == "tel:02030867205"
    assert tel_href("+44 3700 106950") == "tel:+443700106950"
    assert tel_href("") == ""


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"open_days": [0, 1]}, "opens_at"),
        ({"opens_at": time(9, 0), "closes_at": time(17, 0)}, "open_days"),
        ({"open_days": [0], "opens_at": time(17, 0), "closes_at": time(9, 0)}, "closes_at"),
        ({"open_days": [9], "opens_at": time(9, 0), "closes_at": time(17, 0)}, "open_days"),
        ({"open_all_hours": True, "open_days": [0]}, "open_days"),
    ],
)
def test_inconsistent_hours_are_refused_on_the_field(values, field):
    with pytest.raises(ValidationError) as refused:
        _desk(**values).clean()
    assert field in refused.value.message_dict


def test_directory_searches_every_word_and_filters_by_open_now(db):
    at = london(2026, 6, 6, 12, 0)  # a Saturday: only 24/7 desks are open
    smart = service_desk_directory(search="smart metering", at=at)
    assert "DCC Service Desk" in [entry.desk.name for entry in smart]
    assert all("smart" in entry.desk.query_types.lower() for entry in smart)

    open_now = service_desk_directory(status="open", at=at)
    assert open_now and all(entry.open_now for entry in open_now)
    assert "UK Power Networks Service Desk" in [entry.desk.name for entry in open_now]
    closed = service_desk_directory(status="closed", at=at)
    assert "Siemens Service Desk" in [entry.desk.name for entry in closed]
    assert not {e.desk.pk for e in open_now} & {e.desk.pk for e in closed}


def test_inactive_desks_are_not_listed(db):
    ServiceDesk.objects.filter(name="Procode").update(active=False)
    assert "Procode" not in [entry.desk.name for entry in service_desk_directory()]
