"""Cases are built through `case_create` and the lifecycle services, so journal and outbox
rows exist exactly as in production."""

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case
from cases.services import case_create
from tickets.models import Category


def category(name: str = "Market Systems") -> Category:
    return Category.objects.get(name=name)


def text_upload(
    name: str = "error.log", content: bytes = b"2026-11-27 10:00 ERROR timeout\n"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/plain")


PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00\x00\x00\x00IEND\xaeB`\x82"
)


class CaseFactory(factory.Factory):
    class Meta:
        model = Case

    short_description = factory.Sequence(lambda n: f"DIP message rejected {n}")
    description = "Our DIP messages are rejected with error E123 since 09:00."
    party_id = "PTY0001"
    no_party_id = False

    @classmethod
    def _create(
        cls, model_class, *, caller, organisation=None, category_name="Market Systems", **kwargs
    ):
        return case_create(
            actor=caller,
            organisation=organisation or caller.organisation,
            category=category(category_name),
            **kwargs,
        )

    @classmethod
    def _build(cls, model_class, **kwargs):
        return cls._create(model_class, **kwargs)
