"""CAB pages (§8.9, §9.4), in the agent console: namespace `changes_cab`, under /console/cab/."""

from django.contrib import admin
from django.urls import path

from . import cab_views

app_name = "changes_cab"

view = admin.site.admin_view

urlpatterns = [
    path("", view(cab_views.meeting_list), name="list"),
    path("ecab/", view(cab_views.ecab_convene_view), name="ecab_convene"),
    path("<int:pk>/", view(cab_views.meeting_detail), name="detail"),
    path("<int:pk>/workbench/", view(cab_views.workbench), name="workbench"),
    path("<int:pk>/print/", view(cab_views.meeting_print), name="print"),
]
