"""Seed every desk of Appendix H (and the §3.11/§18.4 desks already seeded) with structured
opening hours and organisation-level contacts.

Only shared mailboxes and desk numbers are kept: the personal addresses of named people and
their mobile numbers that Appendix H lists (Beboc, Bryt out of hours, Champion, Equinicity,
Kraken, Octopus, Seaglass, National Grid out of hours) are left out; an admin may enter a
contact by hand. Where Appendix H gives hours without days, Monday to Friday is assumed.
Appendix H rows for one organisation's desk are one entry (the two C&C Group rows are the EES
desk; DCC incident management is the DCC Service Desk; REC Code Manager is the REC Help Desk).

Idempotent, for fresh and existing databases alike: a missing desk is created; an existing one
(found by name) gets the manual's value only in fields that are still empty, and its hours only
when it has none, so what an admin has entered is never overwritten.
"""

from datetime import time

from django.db import IntegrityError, migrations, transaction

WEEKDAYS = [0, 1, 2, 3, 4]
NOT_PUBLISHED = (
    "No shared mailbox or desk number has been published for this desk; ask the MHHS service "
    "desk for the current contact."
)


def hours(opens: str, closes: str, days=WEEKDAYS, *, bank_holidays_closed: bool = False) -> dict:
    h1, m1 = (int(part) for part in opens.split(":"))
    h2, m2 = (int(part) for part in closes.split(":"))
    return {
        "open_days": list(days),
        "opens_at": time(h1, m1),
        "closes_at": time(h2, m2),
        "closed_on_bank_holidays": bank_holidays_closed,
    }


ALL_HOURS = {"open_all_hours": True}


def own(organisation: str) -> str:
    return f"Issues with the services {organisation} provides."


DESKS = [
    # §3.11 and §18.4 desks, seeded before (0003) and given structured hours here.
    dict(name="MHHS Service Desk (Elexon)", **ALL_HOURS, out_of_hours_phone="+44 3700 106950"),
    dict(name="Retail Energy Code (REC) Help Desk", **hours("09:00", "17:00"),
         notes="General enquiries: enquiries@recmanager.co.uk."),
    dict(name="DCC Service Desk", **hours("07:30", "18:00"),
         hours_note="Incident management: Monday to Friday, 07:30 to 18:00. The DCC Service "
                    "Centre is open 24/7.",
         notes="Incident management: opsMIM@smartdcc.co.uk.",
         out_of_hours_phone="0844 225 4445", out_of_hours_email="ServiceCentre@smartdcc.co.uk",
         out_of_hours_notes="DCC Service Centre, 24/7"),
    dict(name="EES Service Desk (C&C Group)", **hours("08:00", "18:00"),
         phone="0203 086 7205 (option 7)", out_of_hours_phone="0203 086 7107",
         out_of_hours_notes="P1 and P2 only; no email service out of hours",
         notes="C&C Group general support: support@candc-uk.com."),
    dict(name="UK Power Networks Service Desk", **ALL_HOURS, out_of_hours_phone="020 3282 0653",
         out_of_hours_email="ukpnsd@kyndryl.com"),
    dict(name="SSE Distribution Service Desk", **ALL_HOURS, out_of_hours_phone="02392494444"),
    dict(name="Electricity North West Service Desk", **hours("08:00", "18:00"),
         out_of_hours_phone="0330 055 2767"),
    dict(name="Siemens Service Desk", **hours("08:30", "16:30", bank_holidays_closed=True),
         portal_url="https://siemenscms.atlassian.net/servicedesk/customer/portal/2",
         out_of_hours_phone="02038327269", out_of_hours_notes="Major incidents only, 24/7",
         notes="The portal is for approved users only."),
    dict(name="IMServ Service Desk", **hours("08:00", "17:30"), out_of_hours_phone="07000 951753"),
    dict(name="Flexitricity Service Desk", **hours("09:00", "17:00", bank_holidays_closed=True),
         out_of_hours_phone="0131 221 8104", out_of_hours_email="operator@flexitricity.com",
         out_of_hours_notes="Also it.flex@flexitricity.com"),
    # The rest of Appendix H.
    dict(name="Beboc Ltd", owner="Beboc Ltd", query_types=own("Beboc Ltd"),
         **hours("08:30", "16:30"), notes=NOT_PUBLISHED),
    dict(name="Bryt Energy Ltd", owner="Bryt Energy Ltd", service_provider="ESG",
         query_types=own("Bryt Energy Ltd"), **hours("09:00", "17:30"), phone="01772 770280",
         notes="The desk is run by ESG, Bryt Energy's service provider."),
    dict(name="BUUK Infrastructure", owner="BUUK Infrastructure",
         query_types=own("BUUK Infrastructure"), **hours("08:30", "17:00"), notes=NOT_PUBLISHED),
    dict(name="Centrica PLC", owner="Centrica PLC", query_types=own("Centrica"),
         **hours("08:00", "18:00"), hours_note="24/7 for P1 and P2 incidents.",
         out_of_hours_email="incident.managment@centrica.com",
         out_of_hours_notes="P1 and P2 incidents",
         notes="Centrica has several service desks, including support partners; a single point "
               "of contact is being set up."),
    dict(name="Champion Energy", owner="Champion Energy", query_types=own("Champion Energy"),
         notes=NOT_PUBLISHED),
    dict(name="Energy Assets", owner="Energy Assets", query_types=own("Energy Assets"),
         **hours("08:30", "17:30"), email="itservicedesk@energyassets.co.uk",
         phone="01506 405471"),
    dict(name="ENGIE", owner="ENGIE", query_types=own("ENGIE"), **hours("08:30", "17:00"),
         phone="01322 627770", out_of_hours_phone="01322 627770"),
    dict(name="Equinicity Limited", owner="Equinicity Limited",
         query_types=own("Equinicity Limited"), **hours("09:00", "17:30"), notes=NOT_PUBLISHED),
    dict(name="F & S Energy Limited", owner="F & S Energy Limited",
         query_types=own("F & S Energy Limited"), **hours("09:00", "17:30"),
         email="metering@fs-energy.co.uk"),
    dict(name="Itron Metering Solutions UK Ltd", owner="Itron Metering Solutions UK Ltd",
         query_types=own("Itron Metering Solutions"), **hours("09:00", "17:00"),
         email="Support.EUK@itron.com", out_of_hours_email="Support.EUK@itron.com"),
    dict(name="Kraken Technologies (Customer & OES)", owner="Kraken Technologies",
         query_types=own("Kraken Technologies (Customer & OES)"), **hours("09:00", "17:30"),
         notes=NOT_PUBLISHED),
    dict(name="National Grid Electricity Distribution", owner="National Grid Electricity Distribution",
         query_types=own("National Grid Electricity Distribution"), **hours("09:00", "17:00"),
         email="nged.itbusapps@nationalgrid.co.uk"),
    dict(name="NCGL - nPower Business Services", owner="NCGL - nPower Business Services (E.ON)",
         query_types=own("nPower Business Services"), notes=NOT_PUBLISHED),
    dict(name="Octopus Energy", owner="Octopus Energy", query_types=own("Octopus Energy"),
         **hours("09:00", "17:30"), email="mhhs-notifications@octoenergy.com"),
    dict(name="Power Data Associates", owner="Power Data Associates",
         query_types=own("Power Data Associates"), **hours("08:00", "17:30"),
         email="application.support@imserv.com", phone="01908 257700",
         out_of_hours_phone="07000 951753"),
    dict(name="Positive Energy Limited", owner="Positive Energy Limited",
         query_types=own("Positive Energy Limited"), **hours("08:00", "18:00"),
         email="portal.support@pe.solutions", phone="020 3884 0020",
         out_of_hours_phone="020 3884 0020", out_of_hours_email="portal.support@pe.solutions"),
    dict(name="Procode", owner="Procode", query_types=own("Procode"), **hours("08:00", "18:00"),
         email="toc@procode.co.uk", phone="01202 298444", out_of_hours_phone="01202 298444",
         out_of_hours_notes="Choose the option for major incidents"),
    dict(name="Procode Technology Limited", owner="Procode Technology Limited",
         query_types=own("Procode Technology Limited"), **hours("08:00", "18:00"),
         phone="01962 874859"),
    dict(name="Seaglass Cloud Technology Ltd", owner="Seaglass Cloud Technology Ltd",
         query_types=own("Seaglass Cloud Technology"), **hours("08:30", "18:00"),
         email="servicedesk@seaglasscloud.com"),
    dict(name="SP Energy Networks (SPEN)", owner="SP Energy Networks",
         query_types=own("SP Energy Networks"), **hours("09:00", "17:00"),
         email="spen_regkey_coe_support@spenergynetworks.co.uk"),
    dict(name="TotalEnergies Gas & Power Limited", owner="TotalEnergies Gas & Power Limited",
         query_types=own("TotalEnergies Gas & Power"), **hours("08:00", "17:00"),
         phone="01737 275555", out_of_hours_phone="01737 275555"),
    dict(name="Unify Energy Limited", owner="Unify Energy Limited",
         query_types=own("Unify Energy Limited"), **hours("08:30", "17:00"),
         email="hello@unifyenergy.co.uk", phone="0330 058 0580",
         out_of_hours_notes="No out-of-hours service"),
    dict(name="United Gas & Power Ltd", owner="United Gas & Power Ltd",
         query_types=own("United Gas & Power"), **hours("09:00", "17:00"),
         email="mhhsugp@ugp.co.uk"),
    dict(name="Wheatley Software Solutions", owner="Wheatley Software Solutions",
         query_types=own("Wheatley Software Solutions"),
         **hours("08:30", "17:30", bank_holidays_closed=True),
         email="support@wheatleysolutions.co.uk", out_of_hours_email="support@wheatleysolutions.co.uk",
         notes="Customers raise requests in Wheatley's support portal; email for anything else "
               "or general enquiries."),
]

HOURS_FIELDS = ("open_all_hours", "open_days", "opens_at", "closes_at", "closed_on_bank_holidays")


def seed(apps, schema_editor):
    ServiceDesk = apps.get_model("accounts", "ServiceDesk")
    for values in DESKS:
        values = dict(values)
        name = values.pop("name")
        desk = ServiceDesk.objects.filter(name=name).first()
        if desk is None:
            ServiceDesk.objects.create(name=name, **values)
            continue
        has_hours = desk.open_all_hours or bool(desk.open_days)
        changes = {}
        for field, value in values.items():
            if field in HOURS_FIELDS:
                if not has_hours:
                    changes[field] = value
            elif getattr(desk, field) in ("", None):
                changes[field] = value
        if changes:
            ServiceDesk.objects.filter(pk=desk.pk).update(**changes)


def unseed(apps, schema_editor):
    """Remove the desks this migration created, unless a case was re-routed to one."""
    ServiceDesk = apps.get_model("accounts", "ServiceDesk")
    for values in DESKS:
        if "owner" not in values:
            continue
        try:
            with transaction.atomic():
                ServiceDesk.objects.filter(name=values["name"]).delete()
        except IntegrityError:
            pass  # a case was re-routed to it: the desk stays


class Migration(migrations.Migration):
    dependencies = [("accounts", "0014_service_desk_drop_free_text_hours")]
    operations = [migrations.RunPython(seed, unseed)]
