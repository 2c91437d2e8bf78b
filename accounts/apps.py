from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and organisations"

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from .mfa import record_totp_activation

        authenticator_added.connect(
            record_totp_activation, dispatch_uid="accounts.record_totp_activation"
        )

        from . import signals

        signals.connect()
