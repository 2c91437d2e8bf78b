"""Portal pages (namespace `portal`)."""

from django.urls import path

from accounts import views as member_views

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/new/", views.case_create, name="case_create"),
    path("cases/<str:number>/", views.case_detail, name="case_detail"),
    path("cases/<str:number>/comment/", views.case_comment, name="case_comment"),
    path("cases/<str:number>/attachments/", views.case_attachment_add, name="case_attachment_add"),
    path("cases/<str:number>/confirm/", views.case_confirm, name="case_confirm"),
    path("cases/<str:number>/reject/", views.case_reject, name="case_reject"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("service-desks/", member_views.service_desk_directory_page, name="service_desks"),
    path("organisation/members/", member_views.organisation_members, name="organisation_members"),
    path(
        "organisation/members/<int:pk>/detach/",
        member_views.organisation_member_detach,
        name="organisation_member_detach",
    ),
    path(
        "organisation/members/<int:pk>/deactivate/",
        member_views.organisation_member_deactivate,
        name="organisation_member_deactivate",
    ),
    path(
        "organisation/members/<int:pk>/appoint-admin/",
        member_views.organisation_member_appoint_admin,
        name="organisation_member_appoint_admin",
    ),
    path(
        "organisation/registrations/<int:pk>/approve/",
        member_views.organisation_registration_approve,
        name="organisation_registration_approve",
    ),
    path(
        "organisation/registrations/<int:pk>/refuse/",
        member_views.organisation_registration_refuse,
        name="organisation_registration_refuse",
    ),
]
