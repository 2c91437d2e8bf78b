from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge"

    def ready(self) -> None:
        """The glossary's console pages (§11.2.1) register themselves on import."""
        from . import admin_glossary  # noqa: F401
