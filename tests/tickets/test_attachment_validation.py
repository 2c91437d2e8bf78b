"""Attachments: size limit, allowed types sniffed from content, random stored names (§3.2)."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.services import case_attachment_add
from core.errors import ValidationFailed
from tests.factories.cases import PNG_BYTES, CaseFactory, text_upload
from tickets.selectors import attachments_for

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def _docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def case(org_user):
    return CaseFactory(caller=org_user)


@pytest.mark.parametrize(
    ("name", "content", "mime"),
    [
        ("screenshot.png", PNG_BYTES, "image/png"),
        ("report.pdf", PDF_BYTES, "application/pdf"),
        ("dip-error.log", b"ERROR 2026-11-27 message rejected\n", "text/plain"),
        ("readings.csv", b"mpan_ref,reading\nA,1\n", "text/plain"),
    ],
)
def test_allowed_types_are_stored_with_the_sniffed_type(case, org_user, name, content, mime):
    attachment = case_attachment_add(
        case=case,
        actor=org_user,
        upload=SimpleUploadedFile(name, content, content_type="application/x-anything"),
    )
    assert attachment.mime_type == mime
    assert attachment.original_name == name
    assert name not in attachment.file.name, "stored under a random name, not the uploader's"
    assert attachment.file.read() == content


def test_executable_is_refused_whatever_its_name(case, org_user):
    with pytest.raises(ValidationFailed, match="not a type we accept"):
        case_attachment_add(
            case=case, actor=org_user, upload=SimpleUploadedFile("invoice.pdf.exe", EXE_BYTES)
        )
    with pytest.raises(ValidationFailed):
        case_attachment_add(
            case=case, actor=org_user, upload=SimpleUploadedFile("invoice.pdf", EXE_BYTES)
        )
    assert not attachments_for(case).exists()


def test_content_that_does_not_match_the_name_is_refused(case, org_user):
    """The type comes from the content, not the name: a PNG called .pdf is refused."""
    with pytest.raises(ValidationFailed, match="does not contain what its name says"):
        case_attachment_add(
            case=case, actor=org_user, upload=SimpleUploadedFile("report.pdf", PNG_BYTES)
        )


def test_oversized_file_is_refused_with_the_limit(case, org_user, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationFailed, match="the limit is"):
        case_attachment_add(case=case, actor=org_user, upload=text_upload(content=b"x" * 2048))


def test_empty_file_is_refused(case, org_user):
    with pytest.raises(ValidationFailed, match="empty"):
        case_attachment_add(case=case, actor=org_user, upload=SimpleUploadedFile("empty.txt", b""))


def test_office_document_is_accepted(case, org_user):
    attachment = case_attachment_add(
        case=case, actor=org_user, upload=SimpleUploadedFile("notes.docx", _docx_bytes())
    )
    assert attachment.mime_type.endswith("wordprocessingml.document")


def test_binary_garbage_named_txt_is_refused(case, org_user):
    with pytest.raises(ValidationFailed):
        case_attachment_add(
            case=case, actor=org_user, upload=SimpleUploadedFile("notes.txt", b"\x00\x01\x02" * 50)
        )


def test_upload_path_components_are_dropped_from_the_name(case, org_user):
    attachment = case_attachment_add(
        case=case, actor=org_user, upload=text_upload(name="../../etc/passwd.txt")
    )
    assert attachment.original_name == "passwd.txt"
    assert ".." not in attachment.file.name


def test_a_bad_file_among_several_stores_none_of_them(org_user, settings, tmp_path):
    """Every upload is checked before any is stored: no orphan files behind a refused case."""
    from cases.services import case_create
    from tests.factories.cases import category

    settings.MEDIA_ROOT = tmp_path
    uploads = [text_upload(name="first.log"), SimpleUploadedFile("second.exe", EXE_BYTES)]
    with pytest.raises(ValidationFailed) as error:
        case_create(
            actor=org_user,
            organisation=org_user.organisation,
            category=category(),
            short_description="Two files",
            description="One is bad",
            party_id="NPSU",
            uploads=uploads,
        )
    assert "second.exe" in error.value.field_errors["attachments"][0]
    assert not any(tmp_path.rglob("*.*")), "nothing was written to storage"
