"""The portal's URLs plus the ceiling endpoint; the ROOT_URLCONF of `bench.settings` only."""

from django.urls import include, path

from .views import CeilingApi

urlpatterns = [
    path("bench/ceiling/", CeilingApi.as_view(), name="bench_ceiling"),
    path("", include("mhhs_portal.urls")),
]
