"""The glossary (§11.2.1, Appendix A): entries browsed A–Z with letter filtering and a search
within the glossary, and the case a reader raises when a term is missing.

Readers see active entries only; a related article is offered only to a reader who may read
it (`knowledge.selectors.articles_readable_by`)."""

from dataclasses import dataclass
from string import ascii_uppercase

from django.db.models import Q, QuerySet

from core.errors import ActionNotPermitted

from .models import GlossaryEntry
from .selectors import articles_readable_by

# The A–Z bar, with "#" last for terms that start with a digit or a symbol.
GLOSSARY_LETTERS = [*ascii_uppercase, "#"]
MAX_GLOSSARY_QUERY_CHARS = 100

# §11.2.1: a missing term is asked for by raising a case with this subject, describing the
# missing information ("No documentation for searched topic – …") and a related page.
GLOSSARY_REQUEST_SUBJECT = "Add item to Glossary"
GLOSSARY_REQUEST_DESCRIPTION = (
    "No documentation for searched topic – {topic}\n\n"
    "What I was looking for:\n\n"
    "Where I came across the term (a web page or document, if any):\n"
)


@dataclass(frozen=True)
class LetterLink:
    letter: str
    has_entries: bool
    current: bool


def glossary_letter_choice(value: str | None) -> str:
    """The letter asked for, "" when none or not one of the bar's letters."""
    letter = (value or "").strip().upper()[:1]
    return letter if letter in GLOSSARY_LETTERS else ""


def glossary_letters(*, current: str = "") -> list[LetterLink]:
    """Each letter of the bar, with whether any active entry starts with it (one query)."""
    used = set(
        GlossaryEntry.objects.filter(active=True).values_list("letter", flat=True).distinct()
    )
    return [LetterLink(letter, letter in used, letter == current) for letter in GLOSSARY_LETTERS]


def glossary_entries_for(user, *, letter: str = "", query: str = "") -> QuerySet[GlossaryEntry]:
    """Active entries, A–Z, of one letter and/or matching every word of `query` in the term
    or the definition. `readable_article` is the related article when `user` may read it."""
    entries = GlossaryEntry.objects.filter(active=True)
    if letter:
        entries = entries.filter(letter=letter)
    for word in (query or "")[:MAX_GLOSSARY_QUERY_CHARS].split():
        entries = entries.filter(Q(term__icontains=word) | Q(definition__icontains=word))
    readable = articles_readable_by(user).values("pk")
    return (
        entries.select_related("related_article")
        .prefetch_related("services")
        .annotate(related_readable=Q(related_article__in=readable))
        .order_by("term", "id")
    )


def glossary_request_initial(*, topic: str = "") -> dict[str, str]:
    """What the raise-case form starts with for "ask us to add a term" (§11.2.1)."""
    topic = " ".join((topic or "").split())[:MAX_GLOSSARY_QUERY_CHARS] or "(the term)"
    return {
        "short_description": GLOSSARY_REQUEST_SUBJECT,
        "description": GLOSSARY_REQUEST_DESCRIPTION.format(topic=topic),
    }


def glossary_entries_set_active(*, actor, entries: QuerySet[GlossaryEntry], active: bool) -> int:
    """Show (`active`) or hide the chosen terms from readers; the knowledge manager's action.
    Returns how many entries changed."""
    if not actor.has_perm("knowledge.change_glossaryentry"):
        raise ActionNotPermitted("Only a knowledge manager can show or hide glossary terms.")
    return entries.exclude(active=active).update(active=active)
