"""Seed N published knowledge articles for the search benchmark (issue 12: search over 100,000
articles answers in under 50 ms at the 95th percentile).

One set-based `INSERT … SELECT generate_series`: each article's title (4–8 words), summary
(12–24 words) and body (150–300 words in paragraphs under a heading) are drawn from a word
list of the desk's own vocabulary and plain English, skewed so some words are common and
most are rare, as in real text; audiences 60% public, 30% signed-in, 10% staff only;
categories from the reference data; published over the last two years. The database keeps
each article's weighted `search_vector` itself (knowledge migration 0004). Draws come from
`hashint8extended`, so a seed is reproducible.

Bench articles are numbered `KBX` and eight digits; real articles (`KB` and seven digits)
never match, so the number tells bench data from real data.
"""

# ruff: noqa: S608 - the statements are built from constants; values travel as parameters.

import time

from django.db import connection, transaction

from knowledge.models import Article
from tickets.models import Category

NUMBER_PREFIX = "KBX"
DEFAULT_ARTICLES = 100_000

_VOCABULARY = (
    "settlement run data flow market message registration meter metering point MPAN "
    "supplier agent distributor network half hourly consumption export import reading "
    "readings certificate DIP integration platform interface connection portal access "
    "account password token reset failure failed error rejected rejection validation "
    "schema file upload download report reconciliation volume allocation calendar timetable "
    "service desk incident problem request change release outage maintenance window "
    "notification email alert subscription circular migration cutover transition plan "
    "testing qualification onboarding participant organisation party role code mapping "
    "reference industry standard BSC Elexon MHHS programme design rules code of practice "
    "advanced smart legacy non-half-hourly profile class energy unit kilowatt estimate "
    "actual correction dispute resolution timescale deadline daily weekly monthly "
    "timeout retry queue backlog duplicate missing late delayed invalid unknown expired "
    "renewal renew install configure configuration setting firewall proxy address network "
    "endpoint API client server certificate key signing encryption TLS browser login "
    "two-factor authentication authenticator app phone number contact details update "
    "the a of to and in for on with by from at is are be can how what when why which your "
    "check open close view find send receive submit confirm approve cancel hold resume "
    "step guide overview explained troubleshooting common questions known issue workaround "
    "fix cause symptoms impact priority urgency triage response target breach escalation"
)
TOPICS = _VOCABULARY.split()
# Bodies read like text: function words most often, the desk's vocabulary next, then a long
# tail of rarer words (made-up here, as real articles' names of systems, flows and firms are),
# so a word of the desk's vocabulary is in a few per cent of articles, not in all of them.
_FUNCTION_TEXT = (
    "the a an of to and in for on with by from at is are was be can will this that it "
    "you your we our if or not no as when then than also each any all"
)
_FUNCTION_WORDS = _FUNCTION_TEXT.split()
_SYLLABLE_TEXT = "ka lo mi nu re sa ti vo be da fe gi ho ju le ma ne po ri se ta ve wi xo ya ze"
_SYLLABLES = _SYLLABLE_TEXT.split()
_TAIL = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in ("n", "r", "s")]
WORDS = [*_FUNCTION_WORDS, *TOPICS, *_TAIL]

# Audience by the article's draw: 60% public, 30% signed-in, 10% staff only.
AUDIENCES = (
    (Article.Audience.PUBLIC, 0.6),
    (Article.Audience.SIGNED_IN, 0.9),
    (Article.Audience.STAFF, 1.0),
)


def _draw(expression: str, salt: int) -> str:
    return f"((hashint8extended({expression}, {salt}) & 2147483647)::float8 / 2147483648.0)"


def _words(count: str, salt: int, *, separator: str = "' '") -> str:
    """`count` words of the desk's vocabulary for article `g`'s title or summary, skewed
    towards the start of the list (u^1.5: some topics are more written about than others)."""
    pick = f"w.topics[1 + floor(w.t * power({_draw('g * 1000 + k', salt)}, 1.5))::int]"
    return f"array_to_string(ARRAY(SELECT {pick} FROM generate_series(1, {count}) k), {separator})"


def bench_articles():
    return Article.objects.filter(number__startswith=NUMBER_PREFIX)


def _insert_sql() -> str:
    audience = " ".join(
        f"WHEN {_draw('g', 41)} < {share} THEN '{value}'" for value, share in AUDIENCES
    )
    title = f"initcap({_words('4 + mod(g, 5)', 42)})"
    summary = f"initcap({_words('12 + mod(g, 13)', 43)}) || '.'"
    # Paragraphs of 50 words: a full stop and a blank line after every 50th.
    paragraph = (
        f"array_to_string(ARRAY(SELECT w.words[1 + floor(w.n * power({_draw('g * 1000 + k', 44)}, 3))::int]"
        " || CASE WHEN mod(k, 50) = 0 THEN E'.\\n\\n' ELSE '' END"
        " FROM generate_series(1, 150 + mod(g, 151)) k), ' ')"
    )
    body = f"'## ' || initcap({_words('3 + mod(g, 3)', 45)}) || E'\\n\\n' || {paragraph}"
    return f"""
        INSERT INTO knowledge_article (
            number, title, body, summary, category_id, owner_id, audience, state,
            is_controlled_document, version_major, version_minor, published_at, next_review_on,
            view_count, helpful_count, not_helpful_count, created_at, updated_at
        )
        SELECT
            '{NUMBER_PREFIX}' || lpad(g::text, 8, '0'),
            left({title}, 200),
            {body},
            left({summary}, 300),
            (%(categories)s::int[])[1 + mod(g, cardinality(%(categories)s::int[]))],
            %(owner)s,
            CASE {audience} END,
            'published', false, 1 + mod(g, 4), 0,
            now() - make_interval(secs => {_draw("g", 46)} * 730 * 86400),
            (now() + make_interval(days => mod(g, 90)::int))::date,
            0, 0, 0, now(), now()
        FROM generate_series(1, %(n)s) g,
             (SELECT %(words)s::text[] AS words, cardinality(%(words)s::text[]) AS n,
                     %(topics)s::text[] AS topics, cardinality(%(topics)s::text[]) AS t) w
    """


def knowledge_seed(n: int, *, owner) -> float:
    """Replace the bench articles with `n` new ones; the seconds it took (ANALYZEd after)."""
    started = time.perf_counter()
    categories = list(Category.objects.order_by("pk").values_list("pk", flat=True)) or [None]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM knowledge_article WHERE number LIKE %s", [f"{NUMBER_PREFIX}%"])
        cursor.execute(
            _insert_sql(),
            {"n": n, "owner": owner.pk, "categories": categories, "words": WORDS, "topics": TOPICS},
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE knowledge_article")
    return time.perf_counter() - started


def knowledge_seed_ensure(n: int, *, owner, out) -> None:
    """Seed `n` bench articles unless exactly `n` are there already (`n` 0: leave them)."""
    if n <= 0:
        return
    held = bench_articles().count()
    if held == n:
        out(f"knowledge: {held:,} bench articles already there")
        return
    seconds = knowledge_seed(n, owner=owner)
    out(f"knowledge: seeded {n:,} articles in {seconds:.1f} s")


def search_queries() -> list[str]:
    """What readers type, from one common word to a misspelt one: single words common and
    rare, pairs, a phrase in quotes, an exclusion, and short typos (the trigram path)."""
    common, middle, rare = TOPICS[:20], TOPICS[60:100], TOPICS[150:]
    queries = [*common[:8], *middle[:8], *rare[:8]]
    queries += [f"{a} {b}" for a, b in zip(common[8:16], middle[8:16], strict=True)]
    queries += [f"{a} {b}" for a, b in zip(middle[16:24], rare[8:16], strict=True)]
    queries += ['"settlement run"', "certificate -renewal", "how to reset password"]
    queries += ["setlement", "certifcate", "rejcted flow", "mesage"]
    return queries
