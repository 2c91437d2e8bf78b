from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Ticket settings"

    def ready(self) -> None:
        """The category filter's choices kept per process are dropped when a category is
        saved or deleted (tickets.reference_cache)."""
        from django.db.models.signals import post_delete, post_save

        from .models import Category, Service
        from .reference_cache import category_choices_forget, service_choices_forget

        for signal in (post_save, post_delete):
            signal.connect(
                category_choices_forget, sender=Category, dispatch_uid=f"category-{signal}"
            )
            signal.connect(service_choices_forget, sender=Service, dispatch_uid=f"service-{signal}")
