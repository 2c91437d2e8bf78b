from django.urls import path

from . import views
from .feeds import StatusFeed

app_name = "status_page"

urlpatterns = [
    path("", views.index, name="index"),
    path("feed/", StatusFeed(), name="feed"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/sent/", views.subscribe_sent, name="subscribe_sent"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("circulars/", views.circular_list, name="circulars"),
    path("circulars/<str:number>/", views.circular_detail, name="circular"),
    path("incidents/<str:number>/", views.incident_detail, name="incident"),
]
