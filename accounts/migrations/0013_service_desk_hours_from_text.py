"""Turn the directory's free-text hours and out-of-hours contacts into the structured fields.

`service_hours` such as "Mon-Fri 08:00 to 18:00", "24/7/365", "09.00 to 17.00" or "… excluding
bank holidays" become days, opening and closing times, `open_all_hours` and
`closed_on_bank_holidays`. Hours given without days are taken as Monday to Friday, the working
week. Whatever the parser cannot place is kept word for word in `hours_note`, so nothing is
lost. `out_of_hours_contact` gives its first phone number and email address to the new fields
and the rest of its words to `out_of_hours_notes`.
"""

import re
from datetime import time

from django.db import migrations

WEEKDAYS = [0, 1, 2, 3, 4]
ALL_HOURS = re.compile(r"^\s*24\s*(?:x|/)\s*7(?:\s*/\s*365)?\s*$", re.I)
TIMES = re.compile(r"(\d{1,2})[:.](\d{2})\s*(?:to|-|–)\s*(\d{1,2})[:.](\d{2})", re.I)
DAYS = [
    (re.compile(r"mon\w*\s*(?:-|–|to)\s*fri\w*", re.I), WEEKDAYS),
    (re.compile(r"mon\w*\s*(?:-|–|to)\s*sat\w*", re.I), [0, 1, 2, 3, 4, 5]),
    (re.compile(r"mon\w*\s*(?:-|–|to)\s*sun\w*|every day|7 days", re.I), [0, 1, 2, 3, 4, 5, 6]),
]
BANK_HOLIDAYS = re.compile(r"(?:excluding|excl\.?|except)\s+bank\s+holidays", re.I)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\+?\d[\d ]{7,}\d")


def hours_from_text(text: str) -> dict:
    text = (text or "").strip()
    if not text:
        return {}
    if ALL_HOURS.match(text):
        return {"open_all_hours": True}
    found = TIMES.search(text)
    if not found:
        return {"hours_note": text[:300]}
    h1, m1, h2, m2 = (int(part) for part in found.groups())
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2):
        return {"hours_note": text[:300]}
    values = {"opens_at": time(h1, m1), "closes_at": time(h2, m2), "open_days": WEEKDAYS}
    rest = text[: found.start()] + " " + text[found.end() :]
    for pattern, days in DAYS:
        day_match = pattern.search(rest)
        if day_match:
            values["open_days"] = days
            rest = rest[: day_match.start()] + " " + rest[day_match.end() :]
            break
    holiday_match = BANK_HOLIDAYS.search(rest)
    if holiday_match:
        values["closed_on_bank_holidays"] = True
        rest = rest[: holiday_match.start()] + " " + rest[holiday_match.end() :]
    if re.search(r"[A-Za-z0-9]", rest):
        # More than one window, or words the fields cannot hold: keep the text as it was.
        values["hours_note"] = text[:300]
    return values


def out_of_hours_from_text(text: str) -> dict:
    text = (text or "").strip()
    if not text:
        return {}
    values = {}
    rest = text
    email = EMAIL.search(rest)
    if email:
        values["out_of_hours_email"] = email.group(0)
        rest = rest[: email.start()] + " " + rest[email.end() :]
    phone = PHONE.search(rest)
    if phone:
        values["out_of_hours_phone"] = phone.group(0).strip()
        rest = rest[: phone.start()] + " " + rest[phone.end() :]
    rest = re.sub(r"\s+", " ", rest).strip(" ,;()-")
    rest = rest.replace("(", "").replace(")", "").strip(" ,;")
    if rest:
        values["out_of_hours_notes"] = rest[:300]
    return values


def forwards(apps, schema_editor):
    ServiceDesk = apps.get_model("accounts", "ServiceDesk")
    for desk in ServiceDesk.objects.all():
        values = {**hours_from_text(desk.service_hours), **out_of_hours_from_text(desk.out_of_hours_contact)}
        if values:
            ServiceDesk.objects.filter(pk=desk.pk).update(**values)


def backwards(apps, schema_editor):
    ServiceDesk = apps.get_model("accounts", "ServiceDesk")
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    for desk in ServiceDesk.objects.all():
        if desk.open_all_hours:
            hours = "24/7/365"
        elif desk.open_days and desk.opens_at and desk.closes_at:
            days = desk.open_days
            span = f"{names[days[0]]}-{names[days[-1]]}" if len(days) > 1 else names[days[0]]
            hours = f"{span} {desk.opens_at:%H:%M} to {desk.closes_at:%H:%M}"
            if desk.closed_on_bank_holidays:
                hours += " excluding bank holidays"
        else:
            hours = desk.hours_note
        contact = ", ".join(
            part
            for part in (desk.out_of_hours_phone, desk.out_of_hours_email, desk.out_of_hours_notes)
            if part
        )
        ServiceDesk.objects.filter(pk=desk.pk).update(
            service_hours=hours[:200], out_of_hours_contact=contact[:300]
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0012_service_desk_structured_hours")]
    operations = [migrations.RunPython(forwards, backwards)]
