"""The API tokens page, under the account settings (`/accounts/tokens/`)."""

from django.urls import path

from . import views

app_name = "access"

urlpatterns = [
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
