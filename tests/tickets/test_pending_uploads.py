"""Files kept from a form that came back with errors (issue 10, point 13): checked like any
attachment, bound to their uploader, turned into the ticket's attachment in place, and removed
with their files a day later by an idempotent sweep."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from cases.services import case_create
from core.errors import ActionNotPermitted, ValidationFailed
from tests.factories.cases import category, text_upload
from tickets.models import Attachment, PendingUpload
from tickets.selectors import pending_uploads_for
from tickets.services import (
    PENDING_UPLOAD_KEEP,
    attachment_add_from_pending,
    pending_upload_discard,
    pending_upload_purge,
    pending_upload_store,
)
from tickets.tasks import pending_upload_purge_task


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def raise_case(user, **kwargs):
    return case_create(
        actor=user,
        organisation=user.organisation,
        category=category(),
        short_description="DIP rejects",
        description="Rejected since 09:00.",
        no_party_id=True,
        **kwargs,
    )


def test_a_kept_file_is_checked_like_an_attachment(org_user):
    """Size and sniffed content are checked when the file is kept (§10.5.1)."""
    kept = pending_upload_store(user=org_user, upload=text_upload("trace.log"))
    assert (kept.original_name, kept.mime_type, kept.user) == ("trace.log", "text/plain", org_user)
    assert default_storage.exists(kept.file.name)
    with pytest.raises(ValidationFailed, match="does not contain what its name says"):
        pending_upload_store(user=org_user, upload=text_upload("fake.pdf", b"not a pdf"))
    assert PendingUpload.objects.count() == 1


def test_kept_files_are_found_only_for_their_uploader(org_user, other_org_user):
    mine = pending_upload_store(user=org_user, upload=text_upload())
    theirs = pending_upload_store(user=other_org_user, upload=text_upload())
    ids = [str(mine.pk), str(theirs.pk), "nonsense", "9" * 40, ""]
    assert pending_uploads_for(user=org_user, ids=ids) == [mine]
    assert pending_upload_discard(user=org_user, pending_id=theirs.pk) is None
    assert PendingUpload.objects.filter(pk=theirs.pk).exists()


def test_a_kept_file_becomes_the_cases_attachment_in_place(org_user):
    """Nothing is copied: the attachment names the stored file, and the kept row is gone."""
    kept = pending_upload_store(user=org_user, upload=text_upload("trace.log"))
    case = raise_case(org_user, pending_uploads=[kept])
    attachment = Attachment.objects.get()
    assert (attachment.ticket_id, attachment.file.name, attachment.uploaded_by) == (
        case.pk,
        kept.file.name,
        org_user,
    )
    assert not PendingUpload.objects.exists()


def test_nobody_attaches_another_persons_kept_file(org_user, other_org_user):
    theirs = pending_upload_store(user=other_org_user, upload=text_upload())
    with pytest.raises(ActionNotPermitted):
        raise_case(org_user, pending_uploads=[theirs])
    assert PendingUpload.objects.filter(pk=theirs.pk).exists()


def test_a_kept_file_gone_meanwhile_is_reported_not_attached(org_user):
    case = raise_case(org_user)
    kept = pending_upload_store(user=org_user, upload=text_upload())
    PendingUpload.objects.filter(pk=kept.pk).delete()
    with pytest.raises(ValidationFailed, match="no longer kept"):
        attachment_add_from_pending(ticket=case, pending=kept, uploaded_by=org_user)
    assert not Attachment.objects.exists()


def test_the_purge_removes_day_old_kept_files_and_their_files_once(
    org_user, django_capture_on_commit_callbacks
):
    """A set-based, idempotent sweep: rows older than a day go with their files; younger ones
    stay; a second run removes nothing."""
    old = pending_upload_store(user=org_user, upload=text_upload("old.log"))
    new = pending_upload_store(user=org_user, upload=text_upload("new.log"))
    PendingUpload.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - PENDING_UPLOAD_KEEP - timedelta(minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert pending_upload_purge() == 1
    assert list(PendingUpload.objects.all()) == [new]
    assert not default_storage.exists(old.file.name)
    assert default_storage.exists(new.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        assert pending_upload_purge() == 0
    assert pending_upload_purge_task.apply().get() == {"purged": 0}


def test_beat_runs_the_purge(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["pending-upload-purge"]
    assert entry["task"] == "tickets.tasks.pending_upload_purge_task"
