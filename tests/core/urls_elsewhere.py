"""The portal's URLs under another path, for `test_fixed_urls`."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("mhhs_portal.urls"))]
