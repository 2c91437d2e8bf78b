"""Files on the raise-case form (issue 10, point 13): chosen files are kept when the form comes
back with errors — shown as "Attached: name" with a Remove button, bound to the person who
chose them — and become the case's attachments when it is raised; an image attachment shows a
thumbnail on the case page, read through the permission-checked download view (§3.2 "Add
Attachments", §10.5.1)."""

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.models import Case
from cases.views import PENDING_UPLOAD_FIELD, REMOVE_FIELD
from tests.factories.accounts import UserFactory
from tests.factories.cases import PNG_BYTES, CaseFactory, category, text_upload
from tickets.models import Attachment, PendingUpload

CREATE = reverse("portal:case_create")
LOG = b"2026-11-27 10:00 ERROR timeout\n"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png_upload(name: str = "screen.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def case_data(org, **overrides) -> dict:
    data = {
        "organisation": org.pk,
        "party_id": "NPSU",
        "category": category("Market Systems").pk,
        "short_description": "DIP messages rejected with E123",
        "description": "Since 09:00 every message is rejected with E123.",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def kept_ids(html: str) -> list[str]:
    return re.findall(rf'<input type="hidden" name="{PENDING_UPLOAD_FIELD}" value="(\d+)">', html)


def test_a_file_chosen_on_a_form_with_errors_is_kept_and_attached_when_it_is_sent(
    org_user, org_client
):
    """The form comes back (400) with the subject missing: the file is kept and listed as
    attached, so the raiser does not choose it again; sent again without it, the case has the
    file, with its content, and nothing is left kept."""
    first = org_client.post(
        CREATE,
        case_data(org_user.organisation, short_description=None, attachments=[text_upload()]),
    )
    assert first.status_code == 400
    assert Case.objects.count() == 0
    html = first.content.decode()
    assert "Attached: error.log" in html
    assert re.search(rf'<button type="submit"[^>]*name="{REMOVE_FIELD}" value="\d+">Remove', html)
    kept = PendingUpload.objects.get()
    assert kept.user == org_user and kept.original_name == "error.log"
    assert kept_ids(html) == [str(kept.pk)]
    assert "are kept from before: you need not choose them again" in html
    # Pressing Enter in a field sends the form with its first button, which raises the case.
    assert html.index('class="visually-hidden" tabindex="-1" aria-hidden="true">Raise case') < (
        html.index(f'name="{REMOVE_FIELD}"')
    )

    second = org_client.post(
        CREATE, case_data(org_user.organisation, pending_upload=kept_ids(html))
    )
    assert second.status_code == 302
    case = Case.objects.get()
    attachment = Attachment.objects.get()
    assert (attachment.ticket_id, attachment.original_name, attachment.uploaded_by) == (
        case.pk,
        "error.log",
        org_user,
    )
    assert attachment.mime_type == "text/plain" and attachment.size == len(LOG)
    with attachment.file.open("rb") as handle:
        assert handle.read() == LOG
    assert not PendingUpload.objects.exists()
    assert "error.log" in org_client.get(second["Location"]).content.decode()


def test_kept_files_and_new_ones_are_attached_together(org_user, org_client):
    """A file kept from before and one chosen now both end on the case."""
    first = org_client.post(
        CREATE, case_data(org_user.organisation, description=None, attachments=[text_upload()])
    )
    response = org_client.post(
        CREATE,
        case_data(
            org_user.organisation,
            pending_upload=kept_ids(first.content.decode()),
            attachments=[png_upload()],
        ),
    )
    assert response.status_code == 302
    assert sorted(Attachment.objects.values_list("original_name", flat=True)) == [
        "error.log",
        "screen.png",
    ]


def test_files_chosen_again_after_a_second_error_are_kept_too(org_user, org_client):
    """Each time the form comes back, the files chosen that time join those already kept."""
    first = org_client.post(
        CREATE, case_data(org_user.organisation, category="", attachments=[text_upload()])
    )
    second = org_client.post(
        CREATE,
        case_data(
            org_user.organisation,
            category="",
            pending_upload=kept_ids(first.content.decode()),
            attachments=[png_upload()],
        ),
    )
    assert second.status_code == 400
    html = second.content.decode()
    assert "Attached: error.log" in html and "Attached: screen.png" in html
    assert len(kept_ids(html)) == 2


def test_remove_drops_a_kept_file_and_raises_nothing(
    org_user, org_client, django_capture_on_commit_callbacks
):
    """ "Remove" takes the file off the form (and out of storage); no case is raised, even
    when the rest of the form is complete."""
    first = org_client.post(
        CREATE,
        case_data(
            org_user.organisation,
            short_description=None,
            attachments=[text_upload(), png_upload()],
        ),
    )
    log, png = PendingUpload.objects.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        response = org_client.post(
            CREATE,
            case_data(
                org_user.organisation,
                pending_upload=kept_ids(first.content.decode()),
                remove_upload=str(log.pk),
            ),
        )
    assert response.status_code == 200
    assert Case.objects.count() == 0
    html = response.content.decode()
    assert "“error.log” removed." in html
    assert "Attached: error.log" not in html and "Attached: screen.png" in html
    assert list(PendingUpload.objects.all()) == [png]
    assert not default_storage.exists(log.file.name)
    assert default_storage.exists(png.file.name)


def test_someone_elses_kept_file_is_neither_shown_nor_attached(org_user, org_client, org):
    """Kept files are bound to the person who chose them: another's id sent back is ignored,
    and cannot be removed either."""
    colleague = UserFactory(email="colleague@northernpower.example", organisation=org)
    colleague_client = Client()
    colleague_client.force_login(colleague)
    colleague_client.post(
        CREATE, case_data(org, short_description=None, attachments=[text_upload("theirs.log")])
    )
    theirs = PendingUpload.objects.get()
    page = org_client.post(
        CREATE,
        case_data(org_user.organisation, short_description=None, pending_upload=[str(theirs.pk)]),
    )
    assert "theirs.log" not in page.content.decode()
    org_client.post(
        CREATE,
        case_data(org_user.organisation, pending_upload=[str(theirs.pk)], remove_upload=theirs.pk),
    )
    assert PendingUpload.objects.filter(pk=theirs.pk).exists()
    response = org_client.post(
        CREATE, case_data(org_user.organisation, pending_upload=[str(theirs.pk), "x", "-1"])
    )
    assert response.status_code == 400
    assert "no longer kept" in " ".join(response.context["form"].errors["attachments"])
    assert Case.objects.count() == 0 and not Attachment.objects.exists()
    assert PendingUpload.objects.filter(pk=theirs.pk, user=colleague).exists()


def test_a_file_that_fails_the_checks_is_reported_not_kept(org_user, org_client):
    """A file whose content is not what its name says is refused next to the field and not
    kept; the good file chosen with it is."""
    fake_pdf = text_upload("invoice.pdf", b"just text, not a pdf")
    response = org_client.post(
        CREATE,
        case_data(org_user.organisation, attachments=[fake_pdf, text_upload("good.log")]),
    )
    assert response.status_code == 400
    assert "invoice.pdf" in " ".join(response.context["form"].errors["attachments"])
    assert list(PendingUpload.objects.values_list("original_name", flat=True)) == ["good.log"]
    assert Case.objects.count() == 0


def test_kept_files_count_towards_the_ten_file_limit(org_user, org_client):
    """At most 10 files in all: the kept ones and those chosen now."""
    first = org_client.post(
        CREATE,
        case_data(
            org_user.organisation,
            short_description=None,
            attachments=[text_upload(f"log-{n}.log") for n in range(9)],
        ),
    )
    ids = kept_ids(first.content.decode())
    assert len(ids) == 9
    response = org_client.post(
        CREATE,
        case_data(
            org_user.organisation,
            pending_upload=ids,
            attachments=[text_upload("ten.log"), text_upload("eleven.log")],
        ),
    )
    assert response.status_code == 400
    assert "at most 10 files" in " ".join(response.context["form"].errors["attachments"])
    # Kept only up to the limit.
    assert PendingUpload.objects.count() == 10
    assert Case.objects.count() == 0


def test_a_case_page_shows_a_thumbnail_of_an_image_through_the_download_view(
    org_user, org_client, other_org_user
):
    """An image attachment is previewed from the permission-checked download view, never from
    a public address; other files get no preview; an outsider gets no image."""
    case = CaseFactory(caller=org_user, uploads=[png_upload("screen <1>.png"), text_upload()])
    image = Attachment.objects.get(original_name="screen <1>.png")
    download = reverse("portal:attachment_download", args=[image.pk])
    html = org_client.get(reverse("portal:case_detail", args=[case.number])).content.decode()
    assert (
        f'<img class="attachments__preview" src="{download}" alt="Preview of screen &lt;1&gt;.png"'
        ' loading="lazy">' in html
    )
    assert html.count('class="attachments__preview"') == 1
    assert "/media/" not in html
    preview = org_client.get(download)
    assert preview.status_code == 200 and preview["Content-Type"] == "image/png"
    outsider = Client()
    outsider.force_login(other_org_user)
    assert outsider.get(download).status_code == 404


def test_raising_with_a_kept_file_that_was_purged_asks_for_it_again(org_user, org_client):
    """A kept file removed meanwhile (kept files last a day) is reported next to the field; the
    case is not raised without it, silently."""
    from tickets.services import pending_upload_purge

    first = org_client.post(
        CREATE,
        case_data(org_user.organisation, short_description=None, attachments=[text_upload()]),
    )
    ids = kept_ids(first.content.decode())
    PendingUpload.objects.update(created_at="2020-01-01T00:00:00+00:00")
    assert pending_upload_purge() == 1
    response = org_client.post(CREATE, case_data(org_user.organisation, pending_upload=ids))
    assert response.status_code == 400
    assert "no longer kept" in " ".join(response.context["form"].errors["attachments"])
    assert "Attached:" not in response.content.decode()
    assert Case.objects.count() == 0
