"""The console's system status page: namespace `ops_console`, under /console/system/."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "ops_console"

urlpatterns = [path("", admin.site.admin_view(views.system_status), name="system_status")]
