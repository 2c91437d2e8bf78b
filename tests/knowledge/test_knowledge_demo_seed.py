"""`seed_demo` publishes demo knowledge articles through the services (§11, §12): a staff-only
one, a known error linked to its problem, and a controlled document due for review soon."""

from django.core.management import call_command

from knowledge.models import Article, ArticleVersion
from knowledge.reviews import review_due_soon
from problems.models import Problem


def test_seed_demo_publishes_knowledge_articles_once(db):
    call_command("seed_demo")
    articles = Article.objects.all()
    assert 6 <= articles.count() <= 8
    assert not articles.exclude(state=Article.State.PUBLISHED).exists()
    assert articles.filter(audience=Article.Audience.STAFF).count() >= 1
    controlled = articles.get(is_controlled_document=True)
    assert controlled.approvers.count() == 2
    assert controlled in review_due_soon()
    known_error = Problem.objects.get(known_error_article__isnull=False).known_error_article
    assert known_error.title.startswith("Known error: ")
    assert all(a.versions.filter(state=ArticleVersion.State.PUBLISHED).exists() for a in articles)
    count = articles.count()
    call_command("seed_demo")
    assert Article.objects.count() == count
