"""The glossary (mounted at /knowledge/glossary/, namespace `glossary`) and the raise-case
form's suggestions (mounted at /knowledge/suggest/, namespace `knowledge_suggest`)."""

from django.urls import path

from . import glossary_views

app_name = "glossary"

urlpatterns = [path("", glossary_views.glossary_index, name="index")]


# Mounted as `include((suggest_urlpatterns, "knowledge_suggest"))`.
suggest_urlpatterns = [
    path("", glossary_views.suggest, name="suggest"),
    path("opened/", glossary_views.suggestion_opened, name="opened"),
]
