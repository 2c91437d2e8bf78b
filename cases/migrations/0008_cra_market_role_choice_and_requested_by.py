"""CRA market role becomes a choice of the market roles (§3.2), and a case gets "Requested by"
(§11.2.1, §14.2).

Existing free-text roles that name a role (its code or label in any case and spacing, or a
common name for it) are stored as its code; anything else is left as written, and the portal
and console show it as it was. Existing cases are requested by their raiser.
"""

import re

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

# The market roles as `accounts.models.Organisation.CraMarketRole` held them at this migration,
# with the other names people write for them.
ROLE_NAMES = {
    "supplier": ("supplier", "energy supplier", "electricity supplier"),
    "ldso": (
        "ldso",
        "licensed distribution system operator",
        "distribution system operator",
        "distribution network operator",
        "dno",
        "idno",
        "dso",
    ),
    "dcp": ("dcp", "dip connection provider"),
    "software_provider": ("software provider", "software", "software supplier"),
    "metering_agent": (
        "metering agent",
        "metering service / data agent",
        "metering service",
        "data service",
        "data agent",
        "metering service data agent",
    ),
    "central_service": ("central service", "central service provider", "csp"),
    "other": ("other",),
}


def _words(value: str) -> str:
    return re.sub(r"[\s_\-]+", " ", value).strip().lower()


ROLE_BY_WORDS = {_words(name): code for code, names in ROLE_NAMES.items() for name in names}


def role_code(value: str) -> str | None:
    """The role code free text names, or None when it names none."""
    return ROLE_BY_WORDS.get(_words(value or ""))


def roles_to_codes(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    written = Case.objects.exclude(cra_market_role="").values_list("cra_market_role", flat=True)
    # One UPDATE per distinct spelling, not per case.
    for value in set(written.distinct().order_by()):
        code = role_code(value)
        if code is not None and code != value:
            Case.objects.filter(cra_market_role=value).update(cra_market_role=code)


def requested_by_the_raiser(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    User = apps.get_model("accounts", "User")
    caller = User.objects.filter(pk=OuterRef("caller_id"))
    Case.objects.filter(requested_by="", caller__isnull=False).exclude(
        caller__full_name=""
    ).update(requested_by=Subquery(caller.values("full_name")[:1]))
    Case.objects.filter(requested_by="", caller__isnull=False).update(
        requested_by=Subquery(caller.values("email")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('cases', '0007_reopen_request'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='requested_by',
            field=models.CharField(blank=True, max_length=200, verbose_name='Requested by'),
        ),
        migrations.AddField(
            model_name='historicalcase',
            name='requested_by',
            field=models.CharField(blank=True, max_length=200, verbose_name='Requested by'),
        ),
        migrations.AlterField(
            model_name='case',
            name='cra_market_role',
            field=models.CharField(blank=True, choices=[('supplier', 'Supplier'), ('ldso', 'Licensed Distribution System Operator'), ('dcp', 'DIP Connection Provider'), ('software_provider', 'Software provider'), ('metering_agent', 'Metering service / data agent'), ('central_service', 'Central service provider'), ('other', 'Other')], max_length=30, verbose_name='CRA market role'),
        ),
        migrations.AlterField(
            model_name='historicalcase',
            name='cra_market_role',
            field=models.CharField(blank=True, choices=[('supplier', 'Supplier'), ('ldso', 'Licensed Distribution System Operator'), ('dcp', 'DIP Connection Provider'), ('software_provider', 'Software provider'), ('metering_agent', 'Metering service / data agent'), ('central_service', 'Central service provider'), ('other', 'Other')], max_length=30, verbose_name='CRA market role'),
        ),
        migrations.RunPython(roles_to_codes, migrations.RunPython.noop),
        migrations.RunPython(requested_by_the_raiser, migrations.RunPython.noop),
    ]
