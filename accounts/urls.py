"""Account pages of the portal under /accounts/ (allauth's are included beside them)."""

from django.urls import path

from . import views

urlpatterns = [
    path("registration/", views.registration_status, name="account_registration_status"),
]
