from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and organisations"

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added
        from django.contrib.auth.signals import user_logged_in

        from .mfa import record_sign_in, record_totp_activation

        authenticator_added.connect(
            record_totp_activation, dispatch_uid="accounts.record_totp_activation"
        )
        user_logged_in.connect(record_sign_in, dispatch_uid="accounts.record_sign_in")

        from . import signals

        signals.connect()
