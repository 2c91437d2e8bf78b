"""People, organisations, resolver groups and the service-desk directory (§10, §3.11, §18.4)."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from .history import AuditHistory


class Organisation(models.Model):
    """A market participant or one of its divisions; organisations form a tree (§10.4).

    `path` is a materialised path ("/1/4/9/") kept by `accounts.services`, so "this
    organisation and every descendant" is one indexed prefix match at any depth.
    """

    class CraMarketRole(models.TextChoices):
        SUPPLIER = "supplier", "Supplier"
        LDSO = "ldso", "Licensed Distribution System Operator"
        DCP = "dcp", "DIP Connection Provider"
        SOFTWARE_PROVIDER = "software_provider", "Software provider"
        METERING_AGENT = "metering_agent", "Metering service / data agent"
        CENTRAL_SERVICE = "central_service", "Central service provider"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    party_id = models.CharField("Party ID", max_length=20, blank=True)
    market_participant_id = models.CharField("Market Participant ID", max_length=20, blank=True)
    cra_market_role = models.CharField(
        "CRA market role", max_length=30, choices=CraMarketRole.choices, blank=True
    )
    path = models.CharField(max_length=500, editable=False, default="", db_index=True)
    active = models.BooleanField(default=True)
    email_domains = models.CharField(
        "Email domains",
        max_length=500,
        blank=True,
        help_text="The domains its people's addresses end in, separated by commas or spaces "
        "(e.g. npower.example, npower-metering.example). Its organisation admins see people "
        "who registered and verified an address on these domains as pending registrations.",
    )

    # Who sees what follows the tree (§10.4), so every change is kept (§10.5.3, §12).
    history = AuditHistory()

    class Meta:
        ordering = ["name"]
        indexes = [
            # Serves `accounts.selectors.organisation_tree`: path__startswith=<an org's path>.
            models.Index(
                fields=["path"], name="org_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def domain_list(self) -> list[str]:
        """`email_domains` as clean lower-case domains, without a leading "@"."""
        parts = self.email_domains.replace(",", " ").replace(";", " ").split()
        return sorted({part.strip().lstrip("@").lower() for part in parts if part.strip("@ ")})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("A user needs an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("kind", User.Kind.STAFF if extra["is_staff"] else User.Kind.PARTICIPANT)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("kind", User.Kind.STAFF)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person (or another system) that signs in with an email address (§10.1).

    `kind` says what sort of account it is, and the services that attach, detach and grant
    act on it: an organisation admin attaches participants only; desk staff (`is_staff`,
    console with two-factor, §10.5.2) and integration accounts (a mail gateway or another
    desk's system, token only) are made by the desk.
    """

    class Kind(models.TextChoices):
        PARTICIPANT = "participant", "Participant"
        STAFF = "staff", "Desk staff"
        INTEGRATION = "integration", "Integration"

    email = models.EmailField(unique=True)
    kind = models.CharField(
        max_length=20,
        choices=Kind.choices,
        default=Kind.PARTICIPANT,
        help_text="Participant (portal), desk staff (console, two-factor) or integration "
        "(another system, API tokens only).",
    )
    full_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text="Set by an organisation admin or the desk; a user without one cannot raise cases.",
    )
    is_staff = models.BooleanField(
        default=False, help_text="Desk staff: may enter the agent console (with MFA)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    # Kind, staff status, activity, organisation and roles decide what a person sees (§10.5.3).
    # The password hash is never copied; a sign-in's last_login update writes no row.
    history = AuditHistory(
        excluded_fields=["password", "last_login"],
        noise_fields=("last_login",),
        m2m_fields=["groups", "user_permissions"],
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            # Only desk staff may enter the console; a participant or an integration account
            # with is_staff would bypass every rule that keys on the kind.
            models.CheckConstraint(
                condition=models.Q(is_staff=False) | models.Q(kind="staff"),
                name="user_is_staff_only_for_staff_kind",
                violation_error_message="Only a desk-staff account may have console access: "
                "set its kind to Desk staff, or untick staff status.",
            ),
            # Only participants belong to an organisation: a desk or integration account in one
            # would see the portal as that organisation's participant (accounts.services).
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=True) | models.Q(kind="participant"),
                name="user_organisation_only_for_participants",
                violation_error_message="Only participant accounts belong to an organisation: "
                "clear the organisation to make this a desk or integration account.",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_participant(self) -> bool:
        return self.kind == self.Kind.PARTICIPANT

    @property
    def is_integration(self) -> bool:
        return self.kind == self.Kind.INTEGRATION

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class ResolverGroup(models.Model):
    """A team that works incidents; may belong to a vendor organisation (§5.15, Appendix G)."""

    name = models.CharField(max_length=120, unique=True)
    email = models.EmailField(blank=True, help_text="Shared mailbox for assignment alerts.")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="resolver_groups"
    )
    vendor = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolver_groups",
    )
    active = models.BooleanField(default=True)

    # Membership decides which incidents a resolver works (§5.15, §10.5.3).
    history = AuditHistory(m2m_fields=["members"])

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceDesk(models.Model):
    """Another desk a case can be re-routed to (§3.11, §18.4, Appendix H).

    Only organisation-level contacts are seeded: shared mailboxes and desk numbers, no personal
    names or mobile numbers (an admin may still enter one). Opening hours are structured — the
    days of the week the desk opens and its opening and closing times (UK time), or
    `open_all_hours` — so the portal can say whether a desk is open now (`accounts.directory`);
    what they cannot say goes in `hours_note`.
    """

    class Day(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    name = models.CharField(max_length=200, unique=True)
    owner = models.CharField("Owner organisation", max_length=200)
    service_provider = models.CharField(max_length=200, blank=True)
    query_types = models.TextField("Query types covered")
    portal_url = models.URLField("Portal", blank=True)
    email = models.EmailField("Shared mailbox", blank=True)
    phone = models.CharField("Desk phone", max_length=60, blank=True)
    open_all_hours = models.BooleanField(
        "Open 24 hours, every day", default=False, help_text="24/7/365: leave the days empty."
    )
    # Weekday numbers, Monday 0 (`Day`), sorted; empty when the hours are not known.
    open_days = models.JSONField("Open on", default=list, blank=True)
    opens_at = models.TimeField("Opens at", null=True, blank=True, help_text="UK time.")
    closes_at = models.TimeField("Closes at", null=True, blank=True, help_text="UK time.")
    closed_on_bank_holidays = models.BooleanField(
        "Closed on bank holidays", default=False, help_text="England and Wales bank holidays."
    )
    hours_note = models.CharField(
        "About the hours",
        max_length=300,
        blank=True,
        help_text="Anything the days and times cannot say, e.g. “24/7 for P1 and P2 incidents”.",
    )
    out_of_hours_phone = models.CharField(max_length=60, blank=True)
    out_of_hours_email = models.EmailField(blank=True)
    out_of_hours_notes = models.CharField(
        "Out-of-hours arrangements",
        max_length=300,
        blank=True,
        help_text="E.g. “P1 and P2 only; no email service out of hours”.",
    )
    notes = models.TextField(
        blank=True, help_text="Anything else someone contacting this desk should know."
    )
    active = models.BooleanField(default=True)

    history = AuditHistory()

    class Meta:
        ordering = ["name"]
        verbose_name = "service desk"
        verbose_name_plural = "service desk directory"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(opens_at__isnull=True, closes_at__isnull=True)
                    | models.Q(opens_at__lt=models.F("closes_at"))
                ),
                name="servicedesk_opens_before_closing",
                violation_error_message="Give both times, the opening time before the closing.",
            ),
            models.CheckConstraint(
                condition=models.Q(open_all_hours=False) | models.Q(opens_at__isnull=True),
                name="servicedesk_all_hours_without_times",
                violation_error_message="A desk open 24 hours needs no opening times.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        days = self.open_days
        if not isinstance(days, list) or not all(
            isinstance(day, int) and day in self.Day.values for day in days
        ):
            errors["open_days"] = ["Choose days of the week."]
        elif self.open_all_hours and days:
            errors["open_days"] = ["A desk open 24 hours, every day needs no days."]
        elif days and (self.opens_at is None or self.closes_at is None):
            errors["opens_at"] = ["Give the opening and closing times for the days chosen."]
        elif not days and (self.opens_at is not None or self.closes_at is not None):
            errors["open_days"] = ["Choose the days these times apply to."]
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            errors["closes_at"] = ["The desk must close after it opens."]
        if errors:
            raise ValidationError(errors)
        self.open_days = sorted(set(days))


class SecurityEvent(models.Model):
    """One entry of the security event log (§10.5.3, §12): who did what to which account, when
    and from where. Written only by `accounts.audit.security_event_record`; the console shows it
    to service managers and lets nobody add, change or delete an entry."""

    class Kind(models.TextChoices):
        SIGN_IN_SUCCEEDED = "sign_in_succeeded", "Sign-in succeeded"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        MFA_ENABLED = "mfa_enabled", "Two-factor set up"
        MFA_REMOVED = "mfa_removed", "Two-factor removed"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        ROLE_CHANGED = "role_changed", "Role changed"
        ACCOUNT_ATTACHED = "account_attached", "Account attached to an organisation"
        ACCOUNT_DETACHED = "account_detached", "Account detached from an organisation"
        ACCOUNT_DEACTIVATED = "account_deactivated", "Account deactivated"
        ADMIN_APPOINTED = "admin_appointed", "Organisation admin appointed"
        REGISTRATION_REFUSED = "registration_refused", "Registration refused"

    USER_AGENT_MAX = 300

    kind = models.CharField(max_length=40, choices=Kind.choices)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="security_events_done",
        help_text="Who did it; empty for a failed sign-in or the system.",
    )
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="security_events",
        help_text="The account it was done to.",
    )
    # A CharField, not an EmailField: a failed sign-in records whatever was typed.
    email = models.CharField(
        max_length=254, blank=True, help_text="The address typed, for a failed sign-in."
    )
    ip_address = models.GenericIPAddressField("Address", null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_MAX, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            # Serves the console's filter by kind, newest first.
            models.Index(fields=["kind", "-occurred_at"], name="secevent_kind_time"),
            # Serves "everything that happened to this account", newest first.
            models.Index(fields=["subject", "-occurred_at"], name="secevent_subject_time"),
        ]

    def __str__(self) -> str:
        who = self.subject or self.email or "unknown account"
        return f"{self.get_kind_display()}: {who} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        """An entry is written once; changing it afterwards would make the log worthless."""
        if not self._state.adding:
            raise ValueError("A security event cannot be changed once recorded.")
        super().save(*args, **kwargs)


class RegistrationRequest(models.Model):
    """Someone's request, made when they register (§10.1), to join an organisation.

    They name one of the registered organisations, or say theirs is not listed and give its
    name. An organisation admin of that organisation (or one above it) or the service desk
    approves it, which attaches them (`accounts.services.user_attach_to_organisation`), or
    refuses it with a reason; either way the person is told. Written only by
    `accounts.services`.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    # The request is part of the account it came with: deleting an account (a spam
    # registration) takes its request along.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="registration_request"
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registration_requests",
        help_text="The registered organisation they chose; empty when theirs was not listed.",
    )
    organisation_name = models.CharField(
        "Organisation name (not listed)",
        max_length=200,
        blank=True,
        help_text="The name they gave when their organisation was not in the list.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registration_decisions",
    )
    refusal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False) | ~models.Q(organisation_name=""),
                name="registration_names_an_organisation",
                violation_error_message="Choose your organisation, or give its name if it is "
                "not listed.",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="refused") | ~models.Q(refusal_reason=""),
                name="registration_refusal_has_a_reason",
                violation_error_message="Give the reason for refusing the registration.",
            ),
        ]
        indexes = [
            # Serves the organisation admin's pending list (status and their organisations'
            # ids) and the console's list filtered by status, newest first.
            models.Index(
                fields=["status", "organisation", "-created_at"], name="registration_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"Registration of {self.user} ({self.get_status_display().lower()})"
