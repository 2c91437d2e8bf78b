"""Seed the service levels of the operations manual as SLA definitions.

Business-calendar targets are working time on 08:30-17:30 Mon-Fri less bank holidays (§2.3.1),
so one business day is 9 hours. Interpretations, all editable in the admin afterwards:

- §3.10 P1-P4 apply to incidents, and to cases the desk classifies with a priority unless they
  are service requests (a service request is P4 by §3.9 but is timed by §7.2 instead).
- §7.2 Complex "Within 1 Day" is read as 24 elapsed hours on the 24x7 calendar: the same table
  says "1 Business Day" for Standard, and §3.10 uses "1 Day" for P2, which is 24x7.
- §7.2 ranges take their upper bound: Complex resolution 10 business days, High Priority 2.
- §7.2 Custom resolution is agreed per request: no duration here; the agent enters it on the clock.
- §3.1/§14.4 acknowledgement and §4.1 first-line triage: 15 minutes, 24x7 (the desk is
  24/7/365, §3.1), for every case raised through the portal.
- §14.4 reporting SLAs apply to cases whose subject starts "Report Request" (§14.2): first
  response 24 business hours, resolution 5 business days (minor/moderate requests).
"""

from datetime import timedelta

from django.db import migrations

BUSINESS_DAY = timedelta(hours=9)

RESOLUTION = {
    "pause_states": ["on_hold"],
    "stop_states": ["resolved", "closed", "cancelled"],
    "resume_on_reopen": True,
}
# A response (or triage) happens when the ticket first leaves New (§3.3, §4.1).
RESPONSE = {
    "pause_states": [],
    "stop_states": ["in_progress", "on_hold", "resolved", "closed", "cancelled"],
    "resume_on_reopen": False,
}

P_TARGETS = [
    (1, "24x7", timedelta(hours=6), "§3.10 P1: 6 hours"),
    (2, "24x7", timedelta(days=1), "§3.10 P2: 1 day"),
    (3, "business", 5 * BUSINESS_DAY, "§3.10 P3: 5 business days"),
    (4, "business", 20 * BUSINESS_DAY, "§3.10 P4: 20 business days"),
]

REQUEST_TARGETS = [
    # (type, label, response calendar, response, resolution, response §, resolution §)
    ("standard", "Standard", "business", BUSINESS_DAY, 5 * BUSINESS_DAY,
     "§7.2 Standard: response within 1 business day",
     "§7.2 Standard: resolution within 5 business days"),
    ("complex", "Complex", "24x7", timedelta(days=1), 10 * BUSINESS_DAY,
     "§7.2 Complex: response within 1 day (24x7)",
     "§7.2 Complex: resolution within 5-10 business days (upper bound)"),
    ("high_priority", "High Priority", "business", timedelta(hours=4), 2 * BUSINESS_DAY,
     "§7.2 High Priority: response within 4 business hours",
     "§7.2 High Priority: resolution within 1-2 business days (upper bound)"),
    ("custom", "Custom", "business", 2 * BUSINESS_DAY, None,
     "§7.2 Custom: response within 2 business days",
     "§7.2 Custom: resolution on the timeline agreed per request"),
]


def definitions():
    order = 10
    for priority, calendar, duration, description in P_TARGETS:
        yield {
            "name": f"Incident P{priority} resolution", "description": description,
            "target_type": "resolution", "ticket_kind": "incident", "priority": priority,
            "calendar": calendar, "duration": duration, "sort_order": order, **RESOLUTION,
        }
        yield {
            "name": f"Case P{priority} resolution", "description": description,
            "target_type": "resolution", "ticket_kind": "case", "priority": priority,
            "service_request": False, "calendar": calendar, "duration": duration,
            "sort_order": order + 1, **RESOLUTION,
        }
        order += 10
    for request_type, label, calendar, response, resolution, about_response, about_resolution in (
        REQUEST_TARGETS
    ):
        yield {
            "name": f"{label} request response", "description": about_response,
            "target_type": "response", "ticket_kind": "case", "service_request": True,
            "request_type": request_type, "calendar": calendar, "duration": response,
            "sort_order": order, **RESPONSE,
        }
        yield {
            "name": f"{label} request resolution", "description": about_resolution,
            "target_type": "resolution", "ticket_kind": "case", "service_request": True,
            "request_type": request_type, "calendar": "business", "duration": resolution,
            "sort_order": order + 1, **RESOLUTION,
        }
        order += 10
    yield {
        "name": "Acknowledgement", "description": "§3.1, §14.4: automatic acknowledgement "
        "within 15 minutes of submission",
        "target_type": "acknowledgement", "ticket_kind": "case", "channel": "portal",
        "calendar": "24x7", "duration": timedelta(minutes=15), "pause_states": [],
        "stop_states": [], "stop_on_message": "case_acknowledged", "sort_order": 1,
    }
    yield {
        "name": "First-line triage", "description": "§4.1 step 2: first-line triage within "
        "15 minutes of the case being raised",
        "target_type": "triage", "ticket_kind": "case", "channel": "portal",
        "calendar": "24x7", "duration": timedelta(minutes=15), "stop_when_triaged": True,
        "visible_to_participants": False, "sort_order": 2, **RESPONSE,
    }
    yield {
        "name": "Report request first response", "description": "§14.4: service desk response "
        "within 24 business hours",
        "target_type": "response", "ticket_kind": "case", "subject_prefix": "Report Request",
        "calendar": "business", "duration": timedelta(hours=24), "sort_order": 200, **RESPONSE,
    }
    yield {
        "name": "Report request resolution", "description": "§14.4: minor/moderate requests "
        "resolved within 5 business days",
        "target_type": "resolution", "ticket_kind": "case", "subject_prefix": "Report Request",
        "calendar": "business", "duration": 5 * BUSINESS_DAY, "sort_order": 201, **RESOLUTION,
    }


def seed(apps, schema_editor):
    SLADefinition = apps.get_model("sla", "SLADefinition")
    for values in definitions():
        name = values.pop("name")
        SLADefinition.objects.update_or_create(name=name, defaults=values)


def unseed(apps, schema_editor):
    SLADefinition = apps.get_model("sla", "SLADefinition")
    names = [values["name"] for values in definitions()]
    SLADefinition.objects.filter(name__in=names, clocks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
