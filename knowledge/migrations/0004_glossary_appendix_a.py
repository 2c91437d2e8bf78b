"""The glossary starts with the manual's Appendix A terms (§11.2.1), in our own words where
the manual's are long. A term already there (by name, any case) is left as it is."""

from django.db import migrations
from django.db.models.functions import Lower
from django.utils.text import slugify

TERMS = [
    ("BAU", "Business As Usual: the normal, day-to-day running of a service."),
    ("BSC", "Balancing and Settlement Code: the rules for balancing and settling electricity in Great Britain."),
    (
        "BSCCo",
        "BSC Company: the not-for-profit body that runs the Balancing and Settlement Code, "
        "trading as Elexon.\n\n"
        "It administers the code, settles the difference between what generators and "
        "suppliers contracted and what they actually produced or used, supports market "
        "participants with tools and reports, and helps deliver industry programmes such as "
        "Market-wide Half-Hourly Settlement. It is overseen by the BSC Panel.",
    ),
    (
        "Central Service Providers",
        "The organisations that run the electricity Central Services: Elexon, the DCC, RECCo "
        "and Electralink.",
    ),
    (
        "Central Services",
        "The central delivery functions of the electricity market: the Elexon Central "
        "Services, the Central Switching Service, the Data Transfer Network, the Electricity "
        "Enquiry Service, the Smart DSP and the central functions behind smart metering.",
    ),
    ("CSS", "Central Switching Service."),
    (
        "DCAB",
        "DIP Change and Advisory Board: a specialist user group that advises the DIP Manager "
        "on the Data Integration Platform and, in limited cases, makes decisions.",
    ),
    (
        "DCC",
        "Data Communications Company: the smart metering and switching service provider.\n\n"
        "For MHHS it carries half-hourly consumption data securely between smart meters, "
        "suppliers and other authorised parties, takes part in integration testing, keeps the "
        "data secure and compliant, and provides infrastructure that scales to the larger "
        "data volumes.",
    ),
    ("DCP", "DIP Connection Provider."),
    (
        "Dependencies",
        "Other tasks, systems, resources or actions that must be completed or lined up before "
        "a piece of work can go further.",
    ),
    ("DIP", "Data Integration Platform: the platform market participants exchange MHHS messages through."),
    (
        "DNO",
        "Distribution Network Operator: a company licensed to run and maintain the electricity "
        "distribution network in a region, taking electricity from the transmission network "
        "to homes and businesses, connecting customers and restoring supply after outages.",
    ),
    ("DSP", "Data Services Provider."),
    ("DTN", "Data Transfer Network."),
    ("ECS", "Elexon Central Services."),
    ("EES", "Electricity Enquiry Service."),
    ("ELS", "Early Life Support: the closer support a new service gets in its first weeks live."),
    ("ERDS", "Electricity Retail Data Service."),
    (
        "IDNO",
        "Independent Distribution Network Operator: a licensed operator of smaller "
        "distribution networks inside DNO areas, often for new developments or renewable "
        "projects.",
    ),
    (
        "Incident",
        "An unplanned interruption to a service, or a drop in its quality.",
    ),
    ("ISD", "Industry Standing Data."),
    (
        "Issue",
        "Any situation or event that needs investigating to find its cause and how to resolve it.",
    ),
    ("ITIL", "Information Technology Infrastructure Library: a widely used framework of IT service management practice."),
    ("ITSM", "IT Service Management."),
    (
        "KA",
        "Knowledge Article: content in the knowledge base that gives information, guidance "
        "or a solution, so users can help themselves.",
    ),
    (
        "Knowledge Articles",
        "Content in the knowledge base that gives users information, guidance or solutions, "
        "so they can help themselves and share what is known.",
    ),
    (
        "LDSO",
        "Licensed Distribution System Operator: an organisation licensed to run a regional "
        "electricity distribution network, connecting customers, responding to outages and "
        "keeping the network reliable.",
    ),
    ("Legacy", "The existing arrangements under the BSC and the REC, before MHHS."),
    ("LSS", "Load Shaping Service."),
    (
        "Major Incident",
        "An incident in a Central Service that seriously disrupts that service and other "
        "Central Services or market participants, and needs an urgent, high-priority response "
        "involving one or more Central Services or their third parties.",
    ),
    ("MDS", "Market-wide Data Service."),
    ("MHHS", "Market-wide Half-Hourly Settlement."),
    ("MHHS Arrangements", "The new arrangements for MHHS set out in the MHHS Core Design Artefacts."),
    (
        "MHHS SM",
        "The service management Elexon delivers for the services it manages, new and old: "
        "DIP, LSS, CDCA, SAA and others.",
    ),
    (
        "MIM Bridge Call",
        "A structured call that brings everyone involved in a major incident together: one "
        "place for real-time updates and quick coordination, to keep downtime and impact low.",
    ),
    ("MPAN", "Meter Point Administration Number: the number that identifies an electricity supply point."),
    ("MPRS", "Metering Point Registration System."),
    ("NFR", "Non-Functional Requirement."),
    (
        "Primary Function",
        "The core role of a market participant or system in settlement, making sure "
        "electricity use is settled accurately and on time from actual half-hourly data.",
    ),
    ("REC", "Retail Energy Code."),
    (
        "RECCo",
        "Retail Energy Code Company: the not-for-profit body that manages the Retail Energy "
        "Code, the rules of Great Britain's retail energy market such as supplier switching.",
    ),
    (
        "Registration Service",
        "The Central Registration Service run by the DCC, including the Central Switching "
        "Service and the Switching Service Desk.",
    ),
    (
        "Response",
        "The first contact with a customer, by phone where possible: acknowledging the issue, "
        "doing initial troubleshooting, recording the details and saying what happens next.",
    ),
    (
        "Service Desk",
        "The single point of contact between the service provider and its users, handling "
        "incidents, service requests and communication with users.",
    ),
    (
        "Service Providers",
        "In MHHS: providers of metering services, data aggregators, IT solution providers and "
        "consultancies that help the market move to half-hourly settlement.",
    ),
    (
        "Service Request",
        "A formal request from a user for something from the service provider, such as "
        "information, an approval or advice.",
    ),
    (
        "Services (The)",
        "The services and systems Elexon supports:\n\n"
        "- Data Integration Platform\n- Industry Standing Data\n- Load Shape Service\n"
        "- Market-wide Data Service\n- Volume Allocation Service\n"
        "- Settlement Operations (Central Registration Agent, Funds Administration Agent, "
        "Central Data Collection Agent, Energy Contract Volume Aggregation Agent, Settlement "
        "Administration Agent)",
    ),
    ("SIT", "Systems Integration Testing."),
    ("SLAs", "Service Level Agreements."),
    ("SM", "Service Management."),
    ("SM Portal", "A self-service site where users raise requests and find information."),
    (
        "SM Service Provider",
        "The Central Service Provider that provides service management around the central "
        "systems it is responsible for.",
    ),
    (
        "SM System",
        "The tool the SM Service Provider uses to manage incidents and service requests and "
        "to provide knowledge.",
    ),
    ("SMRS", "Supplier Meter Registration Service."),
    ("TOM", "Target Operating Model."),
    ("UMS", "Unmetered Supplies."),
    ("UMSO", "Unmetered Supplies Operator."),
    ("VAS", "Volume Allocation Service."),
    ("Vendor", "An Elexon supplier providing technical capability to deliver MHHS."),
    (
        "Work Function",
        "A set of activities a role, system or organisation performs in the MHHS process, "
        "such as collecting, validating, processing or settling half-hourly data.",
    ),
]


def _letter(term: str) -> str:
    first = term.strip()[:1].upper()
    return first if "A" <= first <= "Z" else "#"


def seed(apps, schema_editor):
    GlossaryEntry = apps.get_model("knowledge", "GlossaryEntry")
    existing = set(
        GlossaryEntry.objects.annotate(lower=Lower("term")).values_list("lower", flat=True)
    )
    slugs = set(GlossaryEntry.objects.values_list("slug", flat=True))
    for term, definition in TERMS:
        if term.lower() in existing:
            continue
        slug = base = slugify(term) or "term"
        n = 1
        while slug in slugs:
            n += 1
            slug = f"{base}-{n}"
        slugs.add(slug)
        GlossaryEntry.objects.create(
            term=term, slug=slug, letter=_letter(term), definition=definition
        )


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0003_glossaryentry_suggestionimpression")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
