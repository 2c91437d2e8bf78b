"""Demo knowledge articles for `seed_demo` (§11, §12), written and published through the
services so versions, approvals and the audit trail exist as in production."""

from datetime import timedelta

from tickets.models import Category, Service

from .models import Article
from .services import (
    article_approve,
    article_create,
    article_governance_set,
    article_submit,
    uk_today,
)

# (title, summary, audience, category, service codes, Markdown body)
ARTICLES = [
    (
        "Onboarding to the Data Integration Platform (DIP)",
        "The steps a new market participant takes to connect to the DIP and send a first message.",
        Article.Audience.SIGNED_IN,
        "Market Systems",
        ["dip"],
        "Connecting to the DIP takes four steps.\n\n"
        "1. **Register** your organisation and market roles with the Central Registration "
        "Agent.\n"
        "2. **Request certificates** for your DIP connection from the onboarding team.\n"
        "3. **Install and test** the certificates in the pre-production environment.\n"
        "4. **Send a test message** and check that you receive the acknowledgement.\n\n"
        "If a step fails, raise a case in the portal under *Market Systems* and attach the "
        "error you see (never an MPAN in the subject).",
    ),
    (
        "How the service desk sets a case's priority",
        "Priority comes from impact and urgency, assessed by the service desk.",
        Article.Audience.PUBLIC,
        "Participant Issues",
        [],
        "You do not choose a priority when you raise a case: the service desk assesses "
        "**impact** (how many are affected) and **urgency** (how badly work is affected) and "
        "the priority follows.\n\n"
        "| Urgency \\ Impact | High (system wide) | Medium (multiple users) | Low (single user) |\n"
        "| --- | --- | --- | --- |\n"
        "| High | P1 | P2 | P3 |\n"
        "| Medium | P2 | P3 | P4 |\n"
        "| Low | P3 | P4 | P4 |\n\n"
        "Tell us in the case how many people or sites are affected and whether you have a "
        "workaround: it helps us set the right priority quickly.",
    ),
    (
        "Handling MPAN data safely",
        "Where an MPAN may and may not be written when you contact the service desk.",
        Article.Audience.SIGNED_IN,
        "Data Submission",
        ["dip", "isd"],
        "A Meter Point Administration Number (MPAN) identifies a consumer's supply and is "
        "treated as personal data.\n\n"
        "- **Do** enter MPANs in the case's dedicated MPAN field in the portal.\n"
        "- **Do not** put an MPAN in a case subject, an email or an attachment name.\n"
        "- Emails from the service desk never contain MPANs; if you reply by email with one, "
        "it is removed and you are asked to add it in the portal.",
    ),
    (
        "Raising a case with the service desk",
        "How to raise a case in the portal and what happens next.",
        Article.Audience.PUBLIC,
        "Participant Issues",
        [],
        "Sign in to the portal and choose **Raise a case**.\n\n"
        "1. Write a short subject that says what is wrong.\n"
        "2. Describe what you saw, when it started and who is affected.\n"
        "3. Attach screenshots or logs if you have them.\n\n"
        "You get an email with your case number at once. The service desk triages the case, "
        "and you are told every time its status changes.",
    ),
    (
        "Password and two-factor authentication help",
        "Resetting your password, and what to do if you lose your authenticator.",
        Article.Audience.PUBLIC,
        "Security",
        [],
        "**Forgotten password:** choose *Forgotten your password?* on the sign-in page and "
        "follow the link we email you.\n\n"
        "**New phone or lost authenticator:** use one of your recovery codes to sign in, then "
        "set up the authenticator again. Without recovery codes, ask your organisation admin "
        "to contact the service desk; we verify who you are before resetting it.",
    ),
    (
        "Service desk: checking a DIP certificate before escalating",
        "First-line checks on a participant's DIP certificate before assigning to DIP "
        "Technical Support.",
        Article.Audience.STAFF,
        "Market Systems",
        ["dip"],
        "Before assigning a connection case to DIP Technical Support:\n\n"
        "1. Ask the participant for the certificate's expiry date and serial number.\n"
        "2. Check the serial against the onboarding record.\n"
        "3. If the certificate has expired, send the renewal steps and keep the case with "
        "the desk.\n\n"
        "Escalate only when the certificate is valid and messages are still refused.",
    ),
]

CONTROLLED_TITLE = "Operations manual: Incident management"
CONTROLLED_BODY = (
    "This section of the operations manual describes how the service desk records, "
    "classifies, prioritises and resolves incidents.\n\n"
    "## Logging\n\nEvery incident is logged with its caller, category, affected services, "
    "impact and urgency.\n\n"
    "## Prioritisation\n\nPriority follows from impact and urgency (see *How the service desk "
    "sets a case's priority*).\n\n"
    "## Resolution and closure\n\nThe caller confirms the fix; an unconfirmed resolution "
    "closes after five days."
)

KNOWN_ERROR_PROBLEM = "Overnight DIP message rejections after certificate rotation"


def demo_articles_seed(*, author, manager, approvers) -> int:
    """The demo articles that do not exist yet, each published; returns how many were made."""
    created = 0
    for title, summary, audience, category_name, codes, body in ARTICLES:
        if Article.objects.filter(title=title).exists():
            continue
        article = article_create(
            actor=author,
            title=title,
            summary=summary,
            body=body,
            audience=audience,
            category=Category.objects.filter(name=category_name).first(),
            services=list(Service.objects.filter(code__in=codes)),
            change_summary="First version.",
        )
        version = article.versions.get()
        article_submit(actor=author, version=version)
        article_approve(actor=manager, version=version, comment="Clear and accurate.")
        created += 1
    if not Article.objects.filter(title=CONTROLLED_TITLE).exists():
        article = article_create(
            actor=manager,
            title=CONTROLLED_TITLE,
            summary="The incident management section of the operations manual.",
            body=CONTROLLED_BODY,
            audience=Article.Audience.STAFF,
            category=Category.objects.filter(name="Market Systems").first(),
            change_summary="Section taken into the knowledge base for version control.",
        )
        article_governance_set(
            actor=manager, article=article, is_controlled_document=True, approvers=approvers
        )
        version = article.versions.get()
        article_submit(actor=manager, version=version)
        for approver in approvers:
            article_approve(actor=approver, version=version, comment="Approved for M10.")
        # Demo only: as if published almost three months ago, so its review is due soon.
        Article.objects.filter(pk=article.pk).update(next_review_on=uk_today() + timedelta(days=7))
        created += 1
    return created
