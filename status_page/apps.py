from django.apps import AppConfig


class StatusPageConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "status_page"
    verbose_name = "Public status page"

    def ready(self) -> None:
        """Subscribers hear of every public update and published circular for the services
        they follow (§5.21, Appendix G "BSC Website Update")."""
        from django.db.models.signals import post_save

        from major_incidents.circulars import circular_published
        from major_incidents.models import PublicUpdate

        from . import subscriptions

        post_save.connect(
            subscriptions.on_public_update_saved,
            sender=PublicUpdate,
            dispatch_uid="status_page_public_update",
        )
        circular_published.connect(
            subscriptions.on_circular_published, dispatch_uid="status_page_circular"
        )
