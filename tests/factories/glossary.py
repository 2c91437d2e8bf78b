"""Published knowledge articles and glossary entries for the glossary and self-help tests.
Articles are written directly as published (authoring and approval are tested elsewhere)."""

from django.utils import timezone

from knowledge.models import Article, GlossaryEntry
from tests.factories.accounts import UserFactory
from tickets.services import ticket_number_allocate


def published_article(
    *, title: str, body: str = "How to fix it.", summary: str = "", audience=None, owner=None
) -> Article:
    return Article.objects.create(
        number=ticket_number_allocate(prefix="KB"),
        title=title,
        body=body,
        summary=summary,
        owner=owner or UserFactory(is_staff=True),
        audience=audience or Article.Audience.SIGNED_IN,
        state=Article.State.PUBLISHED,
        version_major=1,
        published_at=timezone.now(),
    )


def glossary_entry(term: str, definition: str = "A term.", **fields) -> GlossaryEntry:
    return GlossaryEntry.objects.create(term=term, definition=definition, **fields)
