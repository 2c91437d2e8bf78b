"""Knowledge base pages of the portal (namespace `knowledge`), mounted at /knowledge/."""

from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    path("", views.search, name="search"),
    path("<str:number>/", views.article, name="article"),
    path("<str:number>/feedback/", views.article_feedback, name="article_feedback"),
]
