"""Registration requests (§10.1): the organisation a person asks to join when they register,
approved or refused by its organisation admins or the desk; the desk roles may decide them."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0015_service_desk_appendix_h"),
    ]

    operations = [
        migrations.AlterField(
            model_name="securityevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("sign_in_succeeded", "Sign-in succeeded"),
                    ("sign_in_failed", "Sign-in failed"),
                    ("mfa_enabled", "Two-factor set up"),
                    ("mfa_removed", "Two-factor removed"),
                    ("token_created", "API token created"),
                    ("token_revoked", "API token revoked"),
                    ("role_changed", "Role changed"),
                    ("account_attached", "Account attached to an organisation"),
                    ("account_detached", "Account detached from an organisation"),
                    ("account_deactivated", "Account deactivated"),
                    ("admin_appointed", "Organisation admin appointed"),
                    ("registration_refused", "Registration refused"),
                ],
                max_length=40,
            ),
        ),
        migrations.CreateModel(
            name="RegistrationRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "organisation_name",
                    models.CharField(
                        blank=True,
                        help_text="The name they gave when their organisation was not in the list.",
                        max_length=200,
                        verbose_name="Organisation name (not listed)",
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting for approval"),
                            ("approved", "Approved"),
                            ("refused", "Refused"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("decided_at", models.DateTimeField(blank=True, null=True)),
                ("refusal_reason", models.TextField(blank=True)),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="registration_decisions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        blank=True,
                        help_text="The registered organisation they chose; empty when theirs was not listed.",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="registration_requests",
                        to="accounts.organisation",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="registration_request",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-pk"],
                "indexes": [
                    models.Index(
                        fields=["status", "organisation", "-created_at"],
                        name="registration_pending",
                    )
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("organisation__isnull", False),
                            models.Q(("organisation_name", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="registration_names_an_organisation",
                        violation_error_message="Choose your organisation, or give its name if it is not listed.",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("status", "refused"), _negated=True),
                            models.Q(("refusal_reason", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="registration_refusal_has_a_reason",
                        violation_error_message="Give the reason for refusing the registration.",
                    ),
                ],
            },
        ),
        # Only the permissions that exist so far: a role's permission on a model that another
        # app's later migration creates is given by that migration's own sync.
        migrations.RunPython(_role_sync.sync_roles_so_far, migrations.RunPython.noop),
    ]
