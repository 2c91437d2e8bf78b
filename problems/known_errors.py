"""Publishing a problem's known error as a knowledge article (§6.4 "known error", §11).

The article holds the problem's symptoms (its description) and workaround; the problem points
to it (`Problem.known_error_article`) and the article lists the problem. Publishing again
makes a new version of the same article. The version is sent for review, or published at once
when the person publishing may approve articles (a knowledge manager) and the article is not a
controlled document.
"""

from django.db import transaction

from core.errors import ActionNotPermitted, TicketNotFound, TransitionNotAllowed, ValidationFailed
from knowledge.models import Article, ArticleVersion
from knowledge.services import (
    EDITABLE_VERSION_STATES,
    article_approve,
    article_create,
    article_draft_update,
    article_submit,
    article_version_draft,
    may_approve,
    open_version,
)
from tickets.models import JournalEntry
from tickets.selectors import visible_tickets
from tickets.services import journal_entry_add

from .models import Problem

KNOWN_ERROR_TITLE_PREFIX = "Known error: "


def may_publish_known_error(actor) -> bool:
    return bool(
        actor
        and actor.is_authenticated
        and actor.is_active
        and actor.is_staff
        and actor.has_perm("knowledge.publish_known_error")
    )


def known_error_content(problem: Problem) -> dict:
    """The article's title, summary and Markdown text, from the problem's own fields."""
    title = f"{KNOWN_ERROR_TITLE_PREFIX}{problem.short_description}"[:200]
    body = "\n\n".join(
        [
            "## Symptoms",
            problem.description.strip(),
            "## Workaround",
            problem.workaround.strip(),
            "## Status",
            f"This is a known error, tracked as problem {problem.number}. The service desk "
            "will update this article when a permanent fix is in place.",
        ]
    )
    summary = f"Known error {problem.number}: symptoms and a workaround until it is fixed."
    return {"title": title, "body": body, "summary": summary[:300]}


def problem_known_error_publish(*, actor, problem: Problem) -> Article:
    """Create the known-error article for `problem`, or a new version of the one it has; the
    version goes for review, or is published at once if `actor` may approve it."""
    if not may_publish_known_error(actor):
        raise ActionNotPermitted(
            "Only a problem manager or a knowledge manager can publish a known error."
        )
    if not visible_tickets(Problem.objects.filter(pk=problem.pk), user=actor).exists():
        raise TicketNotFound(f"There is no problem {problem.number}, or you may not see it.")
    if not problem.workaround.strip():
        raise ValidationFailed(
            f"Record a workaround for {problem.number} before publishing it as a known error.",
            field_errors={"workaround": ["A known error needs a workaround."]},
        )
    content = known_error_content(problem)
    services = [problem.service] if problem.service_id else []
    change_summary = f"Known error of {problem.number}: symptoms and workaround."
    with transaction.atomic():
        problem = Problem.objects.select_for_update().get(pk=problem.pk)
        article = problem.known_error_article
        if article is None:
            article = article_create(
                actor=actor,
                change_summary=change_summary,
                category=problem.category,
                services=services,
                audience=Article.Audience.SIGNED_IN,
                **content,
            )
            version = article.versions.get()
            problem.known_error_article = article
            problem.save(update_fields=["known_error_article"])
            words = f"Known error published as knowledge article {article.number}"
        else:
            version = open_version(article)
            if version is not None and version.state == ArticleVersion.State.IN_REVIEW:
                raise TransitionNotAllowed(
                    f"Version {version.label} of {article.number} is already waiting for "
                    "review; decide on it first."
                )
            fields = {
                "actor": actor,
                "change_summary": change_summary,
                "category": problem.category or article.category,
                "services": services or list(article.services.all()),
                "audience": article.audience,
                **content,
            }
            if version is not None and version.state in EDITABLE_VERSION_STATES:
                version = article_draft_update(version=version, **fields)
            elif article.state == Article.State.RETIRED:
                raise TransitionNotAllowed(
                    f"{article.number} is retired; a knowledge manager reinstates it first."
                )
            else:
                version = article_version_draft(article=article, **fields)
            words = f"Known error updated in knowledge article {article.number}"
        article_submit(actor=actor, version=version)
        if may_approve(actor) and not article.is_controlled_document:
            article_approve(actor=actor, version=version, comment="Published from the problem.")
            words += f", version {version.label} published."
        else:
            words += f", version {version.label} sent for review."
        journal_entry_add(ticket=problem, kind=JournalEntry.Kind.SYSTEM, body=words, author=actor)
    article.refresh_from_db()
    return article
