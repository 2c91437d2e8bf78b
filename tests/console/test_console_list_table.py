"""The console's ticket lists draw their table in Python (issue 9): it must be the very table
Django's `result_list` draws — same headers, sort links, cell classes, values and links with
the list's filters preserved."""

import re

import pytest
from django.contrib.admin.templatetags.admin_list import result_list
from django.template.loader import render_to_string
from django.urls import reverse

from cases.services import case_classify, case_raise_incident
from tests.factories.cases import CaseFactory
from tickets.admin_list import ListRow

CASES = reverse("admin:cases_case_changelist")


def _between_tags(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def _djangos_table(response) -> str:
    """Django's own table for the same page. A list read as plain rows (`list_rows`) gets the
    page's model instances, in the same order and with the same SLA values, for Django's tag,
    which needs instances."""
    cl = response.context["cl"]
    rows = list(cl.result_list)
    if rows and isinstance(rows[0], ListRow):
        by_pk = cl.model._default_manager.in_bulk([row.pk for row in rows])
        instances = [by_pk[row.pk] for row in rows]
        for instance, row in zip(instances, rows, strict=True):
            for name, value in vars(row).items():
                if name.startswith("sla_"):
                    setattr(instance, name, value)
        cl.result_list = instances
    return _between_tags(render_to_string("admin/change_list_results.html", result_list(cl)))


def _drawn_table(response) -> str:
    """The console's table less its two additions (issue 10): the `console-results` class and
    each cell's `data-label`, the column heading a phone shows when rows stack as cards —
    checked here to be exactly the column's heading."""
    html = response.content.decode()
    start = html.index('<div class="results console-results">')
    end = html.index("</table></div>", start) + len("</table></div>")
    table = html[start:end]
    headings = re.findall(
        r'<th scope="col"[^>]*>.*?<div class="text">(?:<a [^>]*>|<span>)(.*?)<', table
    )
    for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1]):
        assert re.findall(r' data-label="([^"]*)"', row) == headings
    table = re.sub(r' data-label="[^"]*"', "", table).replace(
        '<div class="results console-results">', '<div class="results">'
    )
    return _between_tags(table)


@pytest.mark.parametrize(
    "query",
    [{}, {"o": "-2.1"}, {"state__exact": "new", "o": "3"}, {"q": "Settlement"}],
    ids=["plain", "sorted-by-two-columns", "filtered-and-sorted", "searched"],
)
def test_the_case_list_table_is_djangos_table(query, org_user, agent, agent_client):
    for number in range(3):
        case = CaseFactory(caller=org_user, short_description=f"Settlement <b>{number}</b> & co")
    case_classify(case=case, actor=agent, impact=2, urgency=2)
    response = agent_client.get(CASES, query)
    assert response.status_code == 200
    assert isinstance(response.context["cl"].result_list[0], ListRow)  # read as plain rows
    drawn = _drawn_table(response)
    assert drawn == _djangos_table(response)
    assert "<b>" not in drawn  # the subject is escaped, as Django escapes it
    if query.get("state__exact"):
        assert "_changelist_filters=" in drawn  # links keep the list's filters


def test_the_incident_list_table_is_djangos_table(org_user, agent, agent_client, resolver_group):
    for _ in range(2):
        case_raise_incident(
            case=CaseFactory(caller=org_user),
            actor=agent,
            assignment_group=resolver_group,
            impact=2,
            urgency=3,
        )
    response = agent_client.get(reverse("admin:incidents_incident_changelist"), {"o": "1"})
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2
    assert isinstance(response.context["cl"].result_list[0], ListRow)
    assert _drawn_table(response) == _djangos_table(response)


def _squash(html: str) -> str:
    return (
        re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html.strip()))
        .replace("> ", ">")
        .replace(" <", "<")
    )


@pytest.mark.parametrize(
    "query", [{}, {"state__exact": "new"}, {"sla": "breached", "q": "x"}], ids=str
)
def test_the_filters_are_djangos_filters(query, org_user, agent_client):
    from django.contrib.admin.templatetags.admin_list import admin_list_filter

    CaseFactory(caller=org_user)
    response = agent_client.get(CASES, query)
    cl = response.context["cl"]
    html = _squash(response.content.decode())
    # state, assignee, SLA, triage outcome, category, priority
    assert len(cl.filter_specs) == 6
    for spec in cl.filter_specs:
        assert _squash(admin_list_filter(cl, spec)) in html


def test_lists_offer_no_facet_counts(org_user, agent_client):
    """A facet count is a full count per filter choice: never at a million tickets."""
    CaseFactory(caller=org_user)
    html = agent_client.get(CASES, {"_facets": "True"}).content.decode()
    assert "Show counts" not in html and "Hide counts" not in html
