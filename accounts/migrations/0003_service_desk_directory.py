"""Seed the service-desk directory from §3.11, §18.4 and Appendix H (organisation-level
contacts only: personal names and personal addresses are left out)."""

from django.db import migrations

DESKS = [
    dict(name="MHHS Service Desk (Elexon)", owner="Elexon", service_provider="Elexon",
         query_types="Data Integration Platform (DIP); Load Shaping Service (LSS); CDCA, FAA, SAA, BMRA, "
                     "ECVA; Qualification Testing Support; market-wide settlement incidents; DIP message "
                     "failures; MDS and VAS incidents; BSC-related queries",
         portal_url="https://support.elexon.co.uk", email="support@elexon.co.uk", phone="+44 3700 106950",
         service_hours="24/7/365", out_of_hours_contact="+44 3700 106950"),
    dict(name="Elexon BSC Service Desk", owner="Elexon", service_provider="Elexon",
         query_types="BMRA, ECVA, FAA, SAA, CDCA, CRA, SVAA; Settlement Timetable & Data Accuracy; "
                     "Code Documents & Communications"),
    dict(name="Retail Energy Code (REC) Help Desk", owner="RECCo", service_provider="REC Code Manager (Gemserve)",
         query_types="REC knowledge / process queries; REC Qualification queries; REC Change management; "
                     "Energy Market Data Repository queries, including DTS and DIP flows held in the Energy "
                     "Market Data Specification; REC Performance Assurance",
         portal_url="https://recportal.co.uk", email="service.desk@recmanager.co.uk", phone="0800 640 4300",
         service_hours="09:00 to 17:00"),
    dict(name="Switching Service Desk (DCC)", owner="DCC", service_provider="DCC",
         query_types="Switching queries for the CSS and the DNO-operated ERDS; erroneous customer data; "
                     "incorrect registrations within CSS",
         portal_url="https://portal.smartdcc.co.uk", email="servicedesk@smartdcc.co.uk"),
    dict(name="DCC Service Desk", owner="DCC", service_provider="DCC",
         query_types="Smart metering data communication failures; missing meter reads; security breaches; "
                     "mass data outages impacting settlement accuracy",
         email="ServiceCentre@smartdcc.co.uk", phone="0844 225 4445",
         service_hours="Incident Management Mon-Fri 07:30 to 18:00; Service Centre 24/7",
         out_of_hours_contact="0844 225 4445"),
    dict(name="EES Service Desk (C&C Group)", owner="RECCo", service_provider="C&C Group",
         query_types="Electricity Enquiry Service (EES) technical queries",
         email="helpdesk@groups.candc-uk.com", phone="0203 086 7205", service_hours="08:00 to 18:00",
         out_of_hours_contact="0203 086 7107 (P1 and P2 only; no email service out of hours)"),
    dict(name="DTS Service Desk (Electralink)", owner="Electralink", service_provider="Electralink",
         query_types="DTS technical queries", email="helpdesk@electralink.co.uk"),
    dict(name="LDSO Service Desks", owner="Each LDSO", service_provider="Each LDSO",
         query_types="Each LDSO's internal technical services; in a major incident they work with the lead "
                     "Central Service Provider's desk. Contact your LDSO's own desk."),
    dict(name="MPAS Help Desk", owner="Each LDSO", service_provider="Each LDSO",
         query_types="Queries about MPANs and supply point information. Contact the MPAS help desk of the LDSO "
                     "for the supply point."),
    dict(name="Supplier Service Desks", owner="Suppliers", service_provider="Suppliers",
         query_types="Customer billing discrepancies; incorrect tariffs; customer data integrity linked to "
                     "settlement; metering point association problems. Contact the supplier's own desk."),
    dict(name="Software Provider Desks", owner="Each software provider", service_provider="Each software provider",
         query_types="Issues with software that interacts with the DIP and manages half-hourly settlement. "
                     "Contact your software provider."),
    dict(name="DIP Connection Provider (DCP) Desks", owner="Each DCP", service_provider="Each DCP",
         query_types="Issues maintaining connections to the DIP. Contact your DCP."),
    dict(name="UK Power Networks Service Desk", owner="UK Power Networks", service_provider="Kyndryl",
         query_types="UK Power Networks technical services", email="ukpnsd@kyndryl.com",
         phone="020 3282 0653", service_hours="24/7/365", out_of_hours_contact="020 3282 0653"),
    dict(name="SSE Distribution Service Desk", owner="SSE - Distribution", service_provider="SSE",
         query_types="SSE Distribution technical services", phone="02392494444", service_hours="24x7",
         out_of_hours_contact="02392494444"),
    dict(name="Electricity North West Service Desk", owner="Electricity North West",
         service_provider="Electricity North West", query_types="Electricity North West technical services",
         phone="0330 055 2767", service_hours="Mon-Fri 08:00 to 18:00", out_of_hours_contact="0330 055 2767"),
    dict(name="Siemens Service Desk", owner="Siemens", service_provider="Siemens",
         query_types="Siemens metering services", email="mas.itsd.gb@siemens.com", phone="02038327269",
         service_hours="Mon-Fri 08:30 to 16:30 excluding bank holidays",
         out_of_hours_contact="02038327269 (major incidents only, 24/7)"),
    dict(name="IMServ Service Desk", owner="IMServ Europe Ltd", service_provider="IMServ",
         query_types="IMServ data and metering services", email="application.support@imserv.com",
         phone="01908 257700", service_hours="08:00 to 17:30", out_of_hours_contact="07000 951753"),
    dict(name="Flexitricity Service Desk", owner="Flexitricity", service_provider="Flexitricity",
         query_types="Flexitricity services", email="it.flex@flexitricity.com", phone="0131 221 8100",
         service_hours="Mon-Fri 09:00 to 17:00 excluding bank holidays",
         out_of_hours_contact="operator@flexitricity.com, 0131 221 8104"),
]


def seed(apps, schema_editor):
    ServiceDesk = apps.get_model("accounts", "ServiceDesk")
    for desk in DESKS:
        ServiceDesk.objects.update_or_create(name=desk["name"], defaults=desk)


def unseed(apps, schema_editor):
    apps.get_model("accounts", "ServiceDesk").objects.filter(name__in=[d["name"] for d in DESKS]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_roles")]
    operations = [migrations.RunPython(seed, unseed)]
