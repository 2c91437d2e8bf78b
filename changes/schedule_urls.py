"""The change schedule pages (namespace `change_schedule`), under /changes/schedule/."""

from django.urls import path

from . import calendar_views as views

app_name = "change_schedule"

urlpatterns = [
    path("", views.month, name="month"),
    path("week/", views.week, name="week"),
    path("subscribe/", views.feed, name="feed"),
    path("feed/<str:token>.ics", views.feed_ics, name="feed_ics"),
    path("reports/forward/", views.forward_schedule, name="forward_schedule"),
    path("reports/retrospective/", views.retrospective, name="retrospective"),
    path("reports/runs/", views.report_runs, name="report_runs"),
    path("reports/runs/<int:pk>/", views.report_run, name="report_run"),
    path("reports/subscribers/", views.subscribers, name="subscribers"),
    path(
        "reports/subscribers/<int:pk>/remove/",
        views.subscriber_remove,
        name="subscriber_remove",
    ),
    path("metrics/", views.metrics, name="metrics"),
]
