"""Attachment downloads go through the ticket visibility selector (§10.4, §10.5.1).

Files are served only to people who may see the case, as a download (never rendered inline),
under their original name and sniffed type, with `nosniff`.
"""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories.cases import PNG_BYTES, CaseFactory, text_upload
from tickets.models import Attachment

LOG_BYTES = b"2026-11-27 10:00 ERROR timeout\n"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def attachment(org_user):
    CaseFactory(caller=org_user, uploads=[text_upload("error.log", LOG_BYTES)])
    return Attachment.objects.get()


def download_url(attachment) -> str:
    return reverse("portal:attachment_download", kwargs={"pk": attachment.pk})


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_case_owner_downloads_the_file_with_its_name_and_type(org_client, attachment):
    """The raiser gets the file back as a download under its original name (§3.2)."""
    response = org_client.get(download_url(attachment))
    assert response.status_code == 200
    assert body(response) == LOG_BYTES
    assert response["Content-Disposition"] == 'attachment; filename="error.log"'
    assert response["Content-Type"] == "text/plain"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_image_is_served_as_attachment_with_its_sniffed_type(org_user, org_client):
    """Even an image is a download, never shown inline, typed by its content (§10.5.1)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "screen shot.png", PNG_BYTES, content_type="application/octet-stream"
    )
    CaseFactory(caller=org_user, uploads=[upload])
    response = org_client.get(download_url(Attachment.objects.get()))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert body(response) == PNG_BYTES


def test_sibling_organisation_gets_404(sibling_user, attachment):
    """A child organisation cannot fetch a sibling's files (§10.4)."""
    assert client_for(sibling_user).get(download_url(attachment)).status_code == 404


def test_unrelated_organisation_gets_404(other_org_user, attachment):
    """Another participant cannot fetch the file, and learns nothing from the response."""
    assert client_for(other_org_user).get(download_url(attachment)).status_code == 404


def test_parent_organisation_may_download(parent_user, attachment):
    """A parent account sees its children's cases, files included (§10.4)."""
    response = client_for(parent_user).get(download_url(attachment))
    assert response.status_code == 200
    assert body(response) == LOG_BYTES


def test_desk_agent_with_view_all_may_download(agent, attachment):
    """Desk staff holding view_all see every case's files."""
    response = client_for(agent).get(download_url(attachment))
    assert response.status_code == 200
    assert body(response) == LOG_BYTES


def test_anonymous_user_is_sent_to_sign_in(db, attachment):
    """Nothing is served without signing in (§10.5.1)."""
    response = Client().get(download_url(attachment))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_unknown_attachment_is_404(org_client, attachment):
    """An id that does not exist reads the same as one you cannot see."""
    assert (
        org_client.get(
            reverse("portal:attachment_download", kwargs={"pk": attachment.pk + 999})
        ).status_code
        == 404
    )


def test_file_missing_from_storage_is_404_not_500(org_client, attachment):
    """A record whose file has gone is a 404, never a 500."""
    attachment.file.storage.delete(attachment.file.name)
    assert org_client.get(download_url(attachment)).status_code == 404


def test_detail_page_links_to_the_download(org_client, attachment):
    """The case page lists its files with download links."""
    case_number = attachment.ticket.number
    html = org_client.get(
        reverse("portal:case_detail", kwargs={"number": case_number})
    ).content.decode()
    assert download_url(attachment) in html
    assert "error.log" in html
