"""Signal receivers that feed the security event log (§10.5.3), and the registration
announcements communications listens to (§10.1).

Sign-in and two-factor events come from Django's and allauth's signals, so every way in (the
portal's sign-in page, the console's, a TOTP step) is recorded without each view remembering.
Group membership is recorded from `m2m_changed`, whichever path changed it (console form,
service, shell); the actor is the signed-in user of the current request, which
django-simple-history's middleware already keeps for the history rows.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.dispatch import Signal
from simple_history.models import HistoricalRecords

from .audit import security_event_record
from .models import SecurityEvent

# Announced by `accounts.services` inside the deciding transaction, with `registration` (a
# RegistrationRequest): a registration was approved (the person is now attached) or refused
# (§10.1). Communications tells the person (connected in `comms.apps`), so accounts does not
# import the layer above it (docs/architecture.md §1).
registration_approved = Signal()
registration_refused = Signal()


def current_request():
    """The request being served on this thread, if any (set by HistoryRequestMiddleware)."""
    return getattr(HistoricalRecords.context, "request", None)


def _request_actor(request):
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def on_user_logged_in(sender, request, user, **kwargs) -> None:
    security_event_record(
        kind=SecurityEvent.Kind.SIGN_IN_SUCCEEDED, actor=user, subject=user, request=request
    )


def on_user_login_failed(sender, credentials, request=None, **kwargs) -> None:
    """A wrong password or unknown address. The typed address is kept; the account it names,
    if any, is linked so a service manager sees the attempts on it."""
    typed = str(credentials.get("email") or credentials.get("username") or "").strip()
    subject = None
    if typed:
        subject = get_user_model().objects.filter(email__iexact=typed).first()
    security_event_record(
        kind=SecurityEvent.Kind.SIGN_IN_FAILED,
        subject=subject,
        request=request,
        email=typed,
        detail="Wrong password or unknown address.",
    )


def _authenticator_label(authenticator) -> str:
    return authenticator.get_type_display() if authenticator is not None else "authenticator"


def on_authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    security_event_record(
        kind=SecurityEvent.Kind.MFA_ENABLED,
        actor=_request_actor(request) or user,
        subject=user,
        request=request,
        detail=f"{_authenticator_label(authenticator)} set up.",
    )


def on_authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    security_event_record(
        kind=SecurityEvent.Kind.MFA_REMOVED,
        actor=_request_actor(request) or user,
        subject=user,
        request=request,
        detail=f"{_authenticator_label(authenticator)} removed.",
    )


def on_mfa_authentication_failed(sender, request, user, authenticator, **kwargs) -> None:
    security_event_record(
        kind=SecurityEvent.Kind.SIGN_IN_FAILED,
        subject=user,
        request=request,
        email=getattr(user, "email", ""),
        detail=f"Wrong two-factor code ({_authenticator_label(authenticator)}).",
    )


def on_groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    """Record a role change when someone's groups change (`User.groups` from either side)."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    User = get_user_model()
    verb = "Added to" if action == "post_add" else "Removed from"
    if reverse:
        # group.user_set.add(...): `instance` is the group, `pk_set` the users.
        pairs_qs = (
            User.objects.filter(pk__in=pk_set or ())
            if action != "pre_clear"
            else instance.user_set.all()
        )
        pairs = [(user, [instance.name]) for user in pairs_qs]
    else:
        groups_qs = (
            Group.objects.filter(pk__in=pk_set or ())
            if action != "pre_clear"
            else instance.groups.all()
        )
        names = sorted(group.name for group in groups_qs)
        pairs = [(instance, names)] if names else []
    request = current_request()
    for user, names in pairs:
        security_event_record(
            kind=SecurityEvent.Kind.ROLE_CHANGED,
            actor=_request_actor(request),
            subject=user,
            request=request,
            detail=f"{verb} {', '.join(names)}.",
        )


def connect() -> None:
    """Called once from AccountsConfig.ready."""
    from allauth.mfa import signals as mfa_signals
    from django.contrib.auth import signals as auth_signals
    from django.db.models.signals import m2m_changed

    auth_signals.user_logged_in.connect(
        on_user_logged_in, dispatch_uid="accounts.security_sign_in_succeeded"
    )
    auth_signals.user_login_failed.connect(
        on_user_login_failed, dispatch_uid="accounts.security_sign_in_failed"
    )
    mfa_signals.authenticator_added.connect(
        on_authenticator_added, dispatch_uid="accounts.security_mfa_enabled"
    )
    mfa_signals.authenticator_removed.connect(
        on_authenticator_removed, dispatch_uid="accounts.security_mfa_removed"
    )
    mfa_signals.authentication_failed.connect(
        on_mfa_authentication_failed, dispatch_uid="accounts.security_mfa_failed"
    )
    m2m_changed.connect(
        on_groups_changed,
        sender=get_user_model().groups.through,
        dispatch_uid="accounts.security_role_changed",
    )
    _connect_access_cache()


def _connect_access_cache() -> None:
    """Keep `permission_cache` honest: any change to who may do or see what retires cached
    answers (organisations: the tree; resolver groups: their members' queues)."""
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.models import Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from .models import Organisation, ResolverGroup
    from .permission_cache import on_access_changed, on_authenticator_changed, on_user_changed

    user_model = get_user_model()
    for signal in (post_save, post_delete):
        signal.connect(
            on_user_changed, sender=user_model, dispatch_uid=f"access-facts-user-{signal}"
        )
        signal.connect(
            on_authenticator_changed,
            sender=Authenticator,
            dispatch_uid=f"access-facts-authenticator-{signal}",
        )
        for model in (Group, Permission, Organisation, ResolverGroup):
            signal.connect(
                on_access_changed, sender=model, dispatch_uid=f"access-facts-{model}-{signal}"
            )
    for through in (
        user_model.groups.through,
        user_model.user_permissions.through,
        Group.permissions.through,
        ResolverGroup.members.through,
    ):
        m2m_changed.connect(
            on_access_changed, sender=through, dispatch_uid=f"access-facts-{through}"
        )
