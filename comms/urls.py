"""Communications pages (namespace `comms`), included once at the site root:
`path("", include("comms.urls"))`."""

from django.urls import path

from . import views

app_name = "comms"

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/open/", views.notification_open_view, name="notification_open"),
    path(
        "notifications/mark-all-read/",
        views.notification_mark_all_read_view,
        name="notification_mark_all_read",
    ),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
    path("lists/", views.distribution_list_index, name="list_index"),
    path("lists/<int:pk>/request/", views.distribution_list_request, name="list_request"),
    path(
        "lists/for-others/", views.distribution_list_request_for_others, name="list_request_others"
    ),
    path("lists/messages/<int:pk>/", views.distribution_list_message, name="list_message"),
]
