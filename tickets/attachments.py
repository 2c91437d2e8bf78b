"""Attachment validation: size limit, and a type sniffed from the content, not the name."""

from pathlib import PurePath

import filetype
from django.conf import settings

from core.errors import ValidationFailed

# Types a participant may attach (§3.2: "error logs, screenshots etc."), by sniffed MIME type,
# with the file-name extensions each may carry.
ALLOWED_TYPES: dict[str, set[str]] = {
    "application/pdf": {".pdf"},
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/gif": {".gif"},
    "application/zip": {".zip"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {".docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {".xlsx"},
    "text/plain": {".txt", ".log", ".csv", ".json", ".xml", ".dat", ".md", ""},
}
TEXT_SNIFF_BYTES = 64 * 1024


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sniff boundary is still text.
        if exc.start < len(head) - 4:
            return False
    return True


def sniff_mime_type(head: bytes) -> str | None:
    """The MIME type the content itself shows, or None when it is not a type we accept."""
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    if head and _looks_like_text(head):
        return "text/plain"
    return None


def validate_upload(*, name: str, size: int, head: bytes) -> str:
    """Check an upload and return its sniffed MIME type, or raise ValidationFailed."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if size <= 0:
        raise ValidationFailed(f"“{name}” is empty.", field_errors={"file": ["The file is empty."]})
    if size > limit:
        message = f"“{name}” is {size / 1048576:.1f} MB; the limit is {limit / 1048576:.0f} MB."
        raise ValidationFailed(message, field_errors={"file": [message]})
    mime = sniff_mime_type(head)
    allowed = ", ".join(sorted({ext for exts in ALLOWED_TYPES.values() for ext in exts if ext}))
    if mime not in ALLOWED_TYPES:
        message = f"“{name}” is not a type we accept. Allowed: {allowed}."
        raise ValidationFailed(message, field_errors={"file": [message]})
    extension = PurePath(name).suffix.lower()
    if extension not in ALLOWED_TYPES[mime]:
        message = f"“{name}” does not contain what its name says ({mime} found)."
        raise ValidationFailed(message, field_errors={"file": [message]})
    return mime
