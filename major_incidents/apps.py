from django.apps import AppConfig


class MajorIncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "major_incidents"
    verbose_name = "Major incidents"
