"""Knowledge base API (§11; issue 12 point 12), under /api/v1/knowledge/:

- `GET articles/?search=&category=&service=`: the published articles the caller may read,
  ranked by the search when there is one (newest first otherwise), paginated;
- `GET articles/{number}/`: one article, its Markdown and its safe rendered HTML;
- `POST articles/{number}/feedback/`: "Was this helpful?" with an optional comment.

Audience as in the portal (`selectors.readable_audiences`): signed out, public articles only;
signed in, signed-in articles too; staff with the permission, staff-only articles. An article
the caller may not read is a 404 like one that does not exist.
"""

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from markupsafe import Markup
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from access.authentication import STAFF_NEEDS_TWO_FACTOR, staff_passed_second_factor
from access.models import AccessToken
from access.permissions import ApiAccess, MissingScope
from core.pagination import CappedPaginator
from tickets.api_common import (
    CategoryRefSerializer,
    ServiceRefSerializer,
    TicketListApiView,
    TicketPageNumberPagination,
    error_responses,
)
from tickets.models import Category, Service

from . import services
from .markdown import render_markdown
from .models import Article
from .search import (
    MAX_QUERY_CHARS,
    ArticleHit,
    article_hits,
    article_search_queryset,
    normalise_query,
)
from .selectors import article_readable_get, articles_readable_by

API_TAG = "knowledge"


class KnowledgeAccess(ApiAccess):
    """Anyone may read (what they read depends on who they are); feedback needs a caller.
    Whoever is signed in passes the staff two-factor check first; a token reads whatever its
    areas (an article's audience decides) and needs the write scope to send feedback."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return request.method in SAFE_METHODS
        by_token = isinstance(request.auth, AccessToken)
        if user.is_staff and not staff_passed_second_factor(request, user, by_token=by_token):
            raise exceptions.PermissionDenied(STAFF_NEEDS_TWO_FACTOR)
        if user.is_integration and not by_token:
            raise exceptions.PermissionDenied("Integration accounts use access tokens.")
        if (
            by_token
            and request.method not in SAFE_METHODS
            and AccessToken.Scope.WRITE not in request.auth.scopes
        ):
            raise MissingScope("This token lacks the scope 'write' needed here.")
        return True


class ArticlePagination(TicketPageNumberPagination):
    """Numbered pages; `count` stops at 1,000 (a search matching more says 1,000 and `next`
    keeps going), so a page costs the same however many articles match."""

    page_size = 20
    django_paginator_class = CappedPaginator


class ArticleSummarySerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    category = CategoryRefSerializer(allow_null=True)
    audience = serializers.CharField(help_text="public, signed_in or staff.")
    version = serializers.CharField(source="version_label", help_text="The published version.")
    published_at = serializers.DateTimeField(help_text="When this version was published.")


class ArticleHitSerializer(serializers.Serializer):
    number = serializers.CharField(source="article.number")
    title = serializers.CharField(source="article.title")
    summary = serializers.CharField(source="article.summary")
    category = CategoryRefSerializer(source="article.category", allow_null=True)
    audience = serializers.CharField(source="article.audience")
    version = serializers.CharField(source="article.version_label")
    published_at = serializers.DateTimeField(source="article.published_at")
    rank = serializers.FloatField(help_text="Higher is a better match.")
    snippet = serializers.CharField(help_text="Where the words matched, as plain text.")
    snippet_html = serializers.CharField(
        help_text="The snippet as HTML: escaped text with the matched words in <mark>."
    )
    close_match = serializers.BooleanField(
        source="fuzzy",
        help_text="True when no article had the words and this title is a close spelling.",
    )


class ArticleDetailSerializer(ArticleSummarySerializer):
    body_markdown = serializers.CharField(source="body")
    body_html = serializers.SerializerMethodField(
        help_text="The body rendered from Markdown and sanitised: no raw HTML or scripts."
    )
    services = ServiceRefSerializer(many=True)
    next_review_on = serializers.DateField(allow_null=True)
    view_count = serializers.IntegerField()
    helpful_count = serializers.IntegerField()
    not_helpful_count = serializers.IntegerField()

    def get_body_html(self, article) -> str:
        return str(render_markdown(article.body))


class FeedbackInputSerializer(serializers.Serializer):
    helpful = serializers.BooleanField(
        help_text="Whether the article helped.",
        error_messages={"required": "Say whether the article helped: true or false."},
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=services.FEEDBACK_COMMENT_MAX_CHARS,
        help_text="What helped, or what was missing (optional).",
    )


class FeedbackOutputSerializer(serializers.Serializer):
    article = serializers.CharField(source="article.number")
    version = serializers.CharField(source="version_label")
    helpful = serializers.BooleanField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class ArticleListFilterSerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True, max_length=MAX_QUERY_CHARS)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    service = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), required=False, allow_null=True
    )


def _validated_filters(request) -> dict:
    given = {
        k: request.query_params[k]
        for k in ("search", "category", "service")
        if k in request.query_params
    }
    serializer = ArticleListFilterSerializer(data=given)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ArticleListApi(TicketListApiView):
    # For the schema only: the rows come from the search or `articles_readable_by`.
    queryset = Article.objects.none()
    permission_classes = [KnowledgeAccess]
    pagination_class = ArticlePagination
    api_tag = API_TAG
    OutputSerializer = ArticleSummarySerializer

    @extend_schema(
        operation_id="knowledge_articles_list",
        summary="Search or list knowledge articles",
        description=(
            "The published articles you may read. With `search`: full-text matches, best "
            "first, each with a highlighted snippet; without: the newest first, each with rank 0 and "
            "its summary as the snippet. Needs no authentication for public articles."
        ),
        tags=[API_TAG],
        auth=[{}],
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR, description="Words to search for."),
            OpenApiParameter("category", OpenApiTypes.INT, description="A category's id."),
            OpenApiParameter("service", OpenApiTypes.STR, description="A service's code."),
        ],
        responses={200: ArticleHitSerializer(many=True), **error_responses(400, 403)},
    )
    def get(self, request):
        filters = _validated_filters(request)
        query = normalise_query(filters.get("search", ""))
        category, service = filters.get("category"), filters.get("service")
        if query:
            found, fuzzy = article_search_queryset(
                request.user, query, category=category, service=service
            )
        else:
            found, fuzzy = (
                articles_readable_by(request.user)
                .select_related("category")
                .order_by("-published_at", "-id"),
                False,
            )
            if category is not None:
                found = found.filter(category=category)
            if service is not None:
                found = found.filter(services=service)
        # A search's results read each page with its category (`search.SearchResults`).
        page = self.paginate_queryset(found)
        if query:
            hits = article_hits(page, query, fuzzy=fuzzy)
        else:
            # One shape for every page of the list: unsearched rows rank 0, their summary as
            # the snippet.
            hits = [
                ArticleHit(
                    article=article,
                    rank=0.0,
                    snippet=article.summary,
                    snippet_html=Markup.escape(article.summary),
                )
                for article in page
            ]
        return self.get_paginated_response(ArticleHitSerializer(hits, many=True).data)


def _readable_or_404(user, number: str) -> Article:
    try:
        return article_readable_get(user, number)
    except Article.DoesNotExist as exc:
        raise exceptions.NotFound("No article with that number is available to you.") from exc


class ArticleDetailApi(APIView):
    permission_classes = [KnowledgeAccess]
    api_tag = API_TAG

    @extend_schema(
        operation_id="knowledge_articles_retrieve",
        summary="Read a knowledge article",
        description="Its Markdown and sanitised HTML, version, category and services.",
        tags=[API_TAG],
        auth=[{}],
        responses={200: ArticleDetailSerializer, **error_responses(403, 404)},
    )
    def get(self, request, number: str):
        return Response(ArticleDetailSerializer(_readable_or_404(request.user, number)).data)


class ArticleFeedbackApi(APIView):
    permission_classes = [KnowledgeAccess]
    api_tag = API_TAG
    InputSerializer = FeedbackInputSerializer

    @extend_schema(
        operation_id="knowledge_articles_feedback_create",
        summary="Say whether an article helped",
        description="One answer per article per session; the article's counts go up by one.",
        tags=[API_TAG],
        request=FeedbackInputSerializer,
        responses={
            201: FeedbackOutputSerializer,
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request, number: str):
        article = _readable_or_404(request.user, number)
        given = FeedbackInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        # A session answers once per article; a token's calls are the integration's own.
        by_token = isinstance(request.auth, AccessToken)
        feedback = services.article_feedback_record(
            article=article,
            user=request.user,
            helpful=given.validated_data["helpful"],
            comment=given.validated_data.get("comment", ""),
            session=None if by_token else getattr(request._request, "session", None),
        )
        return Response(FeedbackOutputSerializer(feedback).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("knowledge/articles/", ArticleListApi.as_view(), name="knowledge-articles"),
    path("knowledge/articles/<str:number>/", ArticleDetailApi.as_view(), name="knowledge-article"),
    path(
        "knowledge/articles/<str:number>/feedback/",
        ArticleFeedbackApi.as_view(),
        name="knowledge-article-feedback",
    ),
]
