"""Monthly change metrics (§8.11) on seeded March 2027 data, each checked against numbers
worked by hand:

    change  planned (UK)          actual            closed   outcome        variance  on time
    M1      1 Mar 22:00–00:00     22:00–23:30       2 Mar    Successful     −30 min   yes
    M2      3 Mar 22:00–00:00     22:00–01:00       4 Mar    Backed Out     +60 min   no
    M3      5 Mar 22:00–00:00     22:30–23:30       6 Mar    Unauthorised   −60 min   yes
    M4      rejected 10 Mar
    M5      authorised 2 Mar, not yet implemented
    M6      31 Mar 22:00–23:00    22:00–23:30       1 Apr    Successful     (April)

Closed in March: M1, M2, M3 → 2 authorised, 1 unauthorised; 1 backed out of 3 = 33.3 %.
Authorised in March: M1, M2 (1 Mar) and M5 → 3 accepted, 1 rejected → 75.0 % / 25.0 %.
Schedule variance: −30 + 60 − 60 = −30 min in total, −10.0 min on average.
On time: M1 and M3 of 3 = 66.7 %.
Incidents: I1 opened 2 Mar 08:00 linked to M2 (started 3 Mar: before, not counted); I2 opened
4 Mar 02:00 linked to M2 (counted); I3 opened 2 Mar 09:00 linked to M1 (started 1 Mar 22:00:
counted, also linked to M2 before M2 started: still one incident); I4 opened 1 Apr linked to
M1 (April) → 2.
"""

from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from changes.metrics import monthly_change_metrics, percent
from changes.services import change_link_incident, change_mark_unauthorised
from tests.changes.conftest import london
from tests.changes.schedule_support import implemented, rejected, scheduled
from tests.conftest import mfa_client
from tests.factories.incidents import direct_incident

MARCH_1 = london(2027, 3, 1, 9, 0)


def _incident(agent, group, at):
    with time_machine.travel(at, tick=False):
        return direct_incident(agent=agent, resolver_group=group)


@pytest.fixture
def march(service_owner, change_manager, agent, resolver_group):
    m1 = implemented(
        service_owner,
        change_manager,
        planned_start=london(2027, 3, 1, 22, 0),
        authorised_at=MARCH_1,
        started=london(2027, 3, 1, 22, 0),
        finished=london(2027, 3, 1, 23, 30),
        closed_at=london(2027, 3, 2, 9, 0),
        code="successful",
    )
    m2 = implemented(
        service_owner,
        change_manager,
        planned_start=london(2027, 3, 3, 22, 0),
        authorised_at=MARCH_1,
        started=london(2027, 3, 3, 22, 0),
        finished=london(2027, 3, 4, 1, 0),
        closed_at=london(2027, 3, 4, 9, 0),
        code="backed_out",
    )
    m3 = implemented(
        service_owner,
        change_manager,
        planned_start=london(2027, 3, 5, 22, 0),
        started=london(2027, 3, 5, 22, 30),
        finished=london(2027, 3, 5, 23, 30),
    )
    with time_machine.travel(london(2027, 3, 6, 9, 0), tick=False):
        change_mark_unauthorised(
            change=m3, actor=change_manager, notes="Changed the ISD as well as the DIP."
        )
    rejected(service_owner, change_manager, at=london(2027, 3, 10, 11, 0))
    scheduled(
        service_owner,
        change_manager,
        planned_start=london(2027, 3, 20, 22, 0),
        authorised_at=london(2027, 3, 2, 9, 0),
    )
    implemented(
        service_owner,
        change_manager,
        planned_start=london(2027, 3, 31, 22, 0),
        planned_end=london(2027, 3, 31, 23, 0),
        started=london(2027, 3, 31, 22, 0),
        finished=london(2027, 3, 31, 23, 30),
        closed_at=london(2027, 4, 1, 10, 0),
        code="successful",
    )
    links = (
        (london(2027, 3, 2, 8, 0), [m2]),
        (london(2027, 3, 4, 2, 0), [m2]),
        (london(2027, 3, 2, 9, 0), [m1, m2]),
        (london(2027, 4, 1, 8, 0), [m1]),
    )
    for opened, changes in links:
        incident = _incident(agent, resolver_group, opened)
        for change in changes:
            change_link_incident(change=change, incident=incident, actor=service_owner)
    return monthly_change_metrics(london(2027, 3, 15).date())


@pytest.mark.django_db
def test_authorised_vs_unauthorised_counts_march_closures_s8_11(march):
    """§8.11 "Number of Authorised vs. Unauthorised changes"."""
    assert (march.closed, march.authorised, march.unauthorised) == (3, 2, 1)


@pytest.mark.django_db
def test_backed_out_percentage_s8_11(march):
    """§8.11 "Percentage of reversed or backed-out changes": 1 of 3."""
    assert (march.backed_out, march.backed_out_pct) == (1, Decimal("33.3"))


@pytest.mark.django_db
def test_acceptance_vs_rejection_rate_s8_11(march):
    """§8.11 "Change acceptance rate vs. Rejected changes": 3 accepted, 1 rejected."""
    assert (march.accepted, march.rejected) == (3, 1)
    assert (march.acceptance_pct, march.rejection_pct) == (Decimal("75.0"), Decimal("25.0"))


@pytest.mark.django_db
def test_schedule_variance_s8_11(march):
    """§8.11 "Schedule variance": time taken minus time planned, −30 min over 3 changes."""
    assert march.variance_measured == 3
    assert (march.variance_total_minutes, march.variance_average_minutes) == (-30, Decimal("-10.0"))


@pytest.mark.django_db
def test_incidents_caused_by_changes_s8_11(march):
    """§8.11 "Number of incidents/tickets caused by new changes": incidents opened in March
    after a linked change's implementation started — 2."""
    assert march.incidents_caused == 2


@pytest.mark.django_db
def test_on_time_percentage_s8_11(march):
    """§8.11 "Percentage of changes completed on time": 2 of 3 by their planned end."""
    assert (march.on_time, march.on_time_measured, march.on_time_pct) == (2, 3, Decimal("66.7"))


@pytest.mark.django_db
def test_a_month_without_changes_has_no_percentages():
    empty = monthly_change_metrics(london(2031, 1, 1).date())
    assert (empty.closed, empty.backed_out_pct, empty.on_time_pct, empty.acceptance_pct) == (
        0,
        None,
        None,
        None,
    )
    assert percent(1, 3) == Decimal("33.3")


@pytest.mark.django_db
def test_metrics_page_shows_the_month_picked_s8_11(march, cab_member):
    """§8.11: the staff page with a month picker; a bad month is a 400 next to the field."""
    client = mfa_client(cab_member)
    page = client.get(reverse("change_schedule:metrics"), {"month": "2027-03"}).content.decode()
    assert "Change metrics: March 2027" in page
    assert "2 authorised, 1 unauthorised" in page
    assert "33.3%" in page and "75.0% accepted, 25.0% rejected" in page
    assert "-30 min in total, -10.0 min on average" in page
    assert "66.7% (2 of 3)" in page
    bad = client.get(reverse("change_schedule:metrics"), {"month": "2027-13"})
    assert bad.status_code == 400
    assert "Give the month as YYYY-MM." in bad.content.decode()
