"""Pieces every ticket API shares: the view policy, lookups through the visibility selector,
error and reference serializers, journal and attachment output, lifecycle transitions as
`POST .../{number}/<action>/`, pagination and list filters.

Nothing here decides anything: visibility is `tickets.selectors.visible_tickets` (§10.4) and
every write is a service of the owning app; refusals are domain errors that
`tickets.api_errors` turns into the one JSON error shape.
"""

import base64
import binascii
import functools
from datetime import UTC, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from django.urls import path, reverse
from django.utils.module_loading import import_string
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from core.errors import TicketNotFound

from .lifecycle import Action
from .limits import COMMENT_MAX_CHARS, ID_MAX
from .models import JournalEntry, Ticket
from .priority import Impact, Priority, Urgency
from .registry import ticket_type_by_label, ticket_type_for
from .selectors import visible_tickets
from .services import ticket_act

# --- view policy -------------------------------------------------------------------------


class TicketApiSchema(AutoSchema):
    """Groups operations by the view's `api_tag` ("cases", "incidents") in the docs."""

    def get_tags(self) -> list[str]:
        tag = getattr(self.view, "api_tag", "")
        return [tag] if tag else super().get_tags()

    def _get_response_bodies(self, direction="response"):
        # Every operation that reads a body answers 415 to a body it cannot read (DRF's
        # parsers), in the one error shape; the schema says so for all of them at once.
        responses = super()._get_response_bodies(direction)
        if self.method in ("POST", "PUT", "PATCH") and "415" not in responses:
            responses["415"] = self._get_response_for_code(
                error_responses(415)[415], "415", direction=direction
            )
        return responses


class ApiPolicy:
    """Throttling and schema of every ticket endpoint.

    Authentication and the base permission are the API's defaults (`access`: access tokens,
    then sessions; staff need a second factor, §10.5.2). `api_tag` groups the docs and is the
    area an access token needs in its scopes. Throttling is the API's default too
    (`REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]`: per address for anonymous callers, per user
    or per integration token, at the configured rates).
    """

    schema = TicketApiSchema()
    api_tag = ""


class TicketApiView(ApiPolicy, APIView):
    """Base of single-ticket endpoints (detail, sub-resources, transitions)."""


class TicketListApiView(ApiPolicy, GenericAPIView):
    """Base of list endpoints: django-filter `filterset_class` and page-number pagination."""

    def get_serializer_class(self):
        # DRF's OPTIONS answer describes the POST body through the view's serializer; list views
        # name theirs `InputSerializer` / `OutputSerializer`, not `serializer_class`.
        return getattr(self, "InputSerializer", None) or self.OutputSerializer


class TicketPageNumberPagination(PageNumberPagination):
    """Numbered pages with a total `count` (`?page=N`), for small results; a bad `page` or
    `page_size` is a 400 naming the parameter."""

    page_size_query_param = "page_size"
    max_page_size = 100
    invalid_page_message = "Give a page number from 1 to the last page."

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                size = int(raw)
            except ValueError:
                size = 0
            if size < 1:
                raise serializers.ValidationError(
                    {
                        self.page_size_query_param: [
                            f"Give a whole number from 1 to {self.max_page_size}."
                        ]
                    }
                )
            return min(size, self.max_page_size)
        return self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings:
            try:
                number = int(raw)
            except ValueError:
                number = 0
            if not 1 <= number <= ID_MAX:
                raise serializers.ValidationError(
                    {self.page_query_param: [self.invalid_page_message]}
                )
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:  # past the last page: bad input like any other, and named
            raise serializers.ValidationError(
                {self.page_query_param: [self.invalid_page_message]}
            ) from exc

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class TicketPagination(BasePagination):
    """Newest first, a page at a time, at any size (issue 9).

    By default a keyset cursor: `next` and `previous` are links carrying `?cursor=`, and each
    page reads only its own rows in `(opened_at, id)` order, which the opened-at indexes serve;
    nothing counts the list. `?page=N` keeps the numbered form with a total `count`
    (`TicketPageNumberPagination`) for clients that want one on small results.
    """

    page_size = api_settings.PAGE_SIZE
    max_page_size = TicketPageNumberPagination.max_page_size
    cursor_query_param = "cursor"
    page_query_param = "page"
    ordering = ("-opened_at", "-pk")
    invalid_cursor_message = (
        "This cursor is not one the API gave out: follow the `next` or `previous` link."
    )

    def __init__(self):
        self.numbered: TicketPageNumberPagination | None = None

    def get_page_size(self, request) -> int:
        return TicketPageNumberPagination().get_page_size(request) or self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        if self.page_query_param in request.query_params:
            self.numbered = TicketPageNumberPagination()
            return self.numbered.paginate_queryset(queryset, request, view)
        self.request = request
        size = self.get_page_size(request)
        position = self._decode(request.query_params.get(self.cursor_query_param))
        backwards = position is not None and position[2]
        rows = queryset.order_by(*self.ordering)
        if position is not None:
            at, pk, _backwards = position
            if backwards:
                rows = (
                    queryset.filter(opened_at__gte=at)
                    .exclude(opened_at=at, pk__lte=pk)
                    .order_by("opened_at", "pk")
                )
            else:
                rows = queryset.filter(opened_at__lte=at).exclude(opened_at=at, pk__gte=pk)
                rows = rows.order_by(*self.ordering)
        page = list(rows[: size + 1])
        more = len(page) > size
        page = page[:size]
        if backwards:
            page.reverse()
        # Going forwards, a next page exists when more rows followed; a previous one when we
        # came from a cursor. Going backwards, the reverse.
        self.has_next = (position is not None) if backwards else more
        self.has_previous = more if backwards else position is not None
        self.page = page
        return page

    def get_paginated_response(self, data):
        if self.numbered is not None:
            return self.numbered.get_paginated_response(data)
        return Response(
            {
                "next": self._link(forwards=True),
                "previous": self._link(forwards=False),
                "results": data,
            }
        )

    def _link(self, *, forwards: bool) -> str | None:
        if not self.page or not (self.has_next if forwards else self.has_previous):
            return None
        edge = self.page[-1] if forwards else self.page[0]
        if isinstance(edge, dict):  # a page read as `.values(…)` rows
            token = self._encode(edge["opened_at"], edge["pk"], backwards=not forwards)
        else:
            token = self._encode(edge.opened_at, edge.pk, backwards=not forwards)
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, token)

    @staticmethod
    def _encode(at, pk: int, *, backwards: bool) -> str:
        raw = f"{at.astimezone(UTC).isoformat()}|{pk}|{'p' if backwards else 'n'}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def _decode(self, token: str | None):
        """(opened_at, id, backwards) from a cursor, or None without one; 400 if malformed."""
        if token is None:
            return None
        try:
            if len(token) > 120:
                raise ValueError
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            at_text, pk_text, direction = raw.split("|")
            at = datetime.fromisoformat(at_text)
            pk = int(pk_text)
            if at.tzinfo is None or not 1 <= pk <= ID_MAX or direction not in ("n", "p"):
                raise ValueError
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise serializers.ValidationError(
                {self.cursor_query_param: [self.invalid_cursor_message]}
            ) from None
        return at, pk, direction == "p"

    def get_paginated_response_schema(self, schema):
        numbered = TicketPageNumberPagination().get_paginated_response_schema(schema)
        numbered["required"] = ["results"]
        numbered["properties"]["count"]["description"] = (
            "Total number of results; only in the numbered form (`?page=`)."
        )
        for name in ("next", "previous"):
            numbered["properties"][name]["description"] = (
                "Link to the adjoining page (with `cursor`, or `page` in the numbered form)."
            )
        return numbered

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where a page starts: take it from the `next` or `previous` link.",
                "schema": {"type": "string", "maxLength": 120},
            },
            *TicketPageNumberPagination().get_schema_operation_parameters(view),
        ]


# --- lookups ---------------------------------------------------------------------------------


def visible_queryset(queryset: QuerySet, *, user) -> QuerySet:
    """The visibility selector, with the type's own rule on whether participants may look."""
    return visible_tickets(queryset, user=user)


def ticket_get_visible(queryset: QuerySet, *, user, number: str) -> Ticket:
    """One ticket by number, or 404 alike whether it does not exist or may not be seen (§10.4)."""
    number = (number or "").strip().upper()
    ticket = visible_queryset(queryset, user=user).filter(number=number).first()
    if ticket is None:
        name = queryset.model._meta.verbose_name
        raise TicketNotFound(f"There is no {name} {number}, or you may not see it.")
    return ticket


def is_desk_user(user) -> bool:
    """Staff see work notes and internal fields; participants never do (§10.2)."""
    return bool(user and user.is_authenticated and user.is_staff)


def _request_user(serializer: serializers.Serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


# --- errors ----------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable machine-readable code, e.g. `validation_failed`."
    )
    message = serializers.CharField(help_text="What went wrong, in words a person can act on.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field; empty when the error is not about one field.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_ERROR_DESCRIPTIONS = {
    400: "Bad input: see `error.fields`.",
    401: "No or invalid credentials.",
    403: "Your role may not do this.",
    404: "No such ticket, or you may not see it.",
    415: "The body is not in a media type this operation reads (see its request body).",
    409: "Not allowed in the ticket's state (`transition_not_allowed`), or changed by someone "
    "else since you read it (`changed_by_someone_else`).",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[code])
        for code in codes
    }


# --- enum fields ----------------------------------------------------------------------------


class EnumField(serializers.ChoiceField):
    """A choice field whose blank value ('' on the model) is shown as null when nullable."""

    def to_representation(self, value):
        if value in ("", None):
            return None if self.allow_null else value
        return super().to_representation(value)


def _enum_schema(choices) -> dict:
    return {
        "type": "string",
        "enum": list(choices.values),
        "description": "\n".join(f"* `{value}` - {label}" for value, label in choices.choices),
    }


# Named components: the same choice set is used by outputs (`state`, `hold_reason`) and inputs
# (`expected_state`, `reason`), which would otherwise become differently named enums.
@extend_schema_field(_enum_schema(Ticket.State), component_name="TicketState")
class TicketStateField(EnumField):
    def __init__(self, **kwargs):
        super().__init__(choices=Ticket.State.choices, **kwargs)


@extend_schema_field(_enum_schema(Ticket.HoldReason), component_name="HoldReason")
class HoldReasonField(EnumField):
    def __init__(self, **kwargs):
        super().__init__(choices=Ticket.HoldReason.choices, **kwargs)


@extend_schema_field(_enum_schema(Ticket.CancelReason), component_name="CancelReason")
class CancelReasonField(EnumField):
    def __init__(self, **kwargs):
        super().__init__(choices=Ticket.CancelReason.choices, **kwargs)


@extend_schema_field(
    {
        "type": "string",
        "enum": [*Ticket.ResolutionCode.values, ""],
        "description": "\n".join(
            [
                *(f"* `{value}` - {label}" for value, label in Ticket.ResolutionCode.choices),
                "* `` - none recorded",
            ]
        ),
    },
    component_name="ResolutionCode",
)
class ResolutionCodeField(EnumField):
    def __init__(self, **kwargs):
        super().__init__(choices=Ticket.ResolutionCode.choices, allow_blank=True, **kwargs)


# --- staff-only output fields -------------------------------------------------------------


class StaffOnlyFieldsMixin:
    """Output fields in `staff_only_fields` are left out of the response for participants.

    The schema keeps them, marked optional, so one component describes both audiences.
    """

    staff_only_fields: tuple[str, ...] = ()

    @property
    def _readable_fields(self):
        # Left out before serializing, not after: a participant's detail neither reads the
        # staff-only relations (no query for them) nor computes their values.
        fields = super()._readable_fields
        if is_desk_user(_request_user(self)):
            return fields
        return [field for field in fields if field.field_name not in self.staff_only_fields]


class StaffOnlyFieldsExtension(OpenApiSerializerExtension):
    target_class = StaffOnlyFieldsMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        staff_only = set(self.target.staff_only_fields)
        if "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in staff_only]
        for name in staff_only:
            prop = schema.get("properties", {}).get(name)
            if prop is not None:
                prop["description"] = (
                    prop.get("description", "") + " Service-desk staff only."
                ).strip()
        return schema


# --- reference and sub-resource output -------------------------------------------------------


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ServiceRefSerializer(serializers.Serializer):
    """A service (configuration item, §3.5–3.6) as other records name it."""

    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class UserRefSerializer(serializers.Serializer):
    name = serializers.CharField(source="get_full_name", read_only=True)
    email = serializers.EmailField(read_only=True)


class ResolverGroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class JournalEntrySerializer(serializers.Serializer):
    """One journal entry: a customer-visible comment, a work note (staff only) or a system event."""

    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=JournalEntry.Kind.choices, read_only=True)
    body = serializers.CharField(read_only=True)
    author = serializers.StringRelatedField(
        read_only=True, allow_null=True, help_text="Null for entries the system wrote."
    )
    created_at = serializers.DateTimeField(read_only=True)


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    size = serializers.IntegerField(read_only=True, help_text="Bytes.")
    mime_type = serializers.CharField(read_only=True, help_text="Sniffed from the content.")
    uploaded_by = serializers.StringRelatedField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    download_url = serializers.SerializerMethodField(
        help_text="The portal's download route, which checks visibility again."
    )

    def get_download_url(self, attachment) -> str:
        path = reverse("portal:attachment_download", kwargs={"pk": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


@extend_schema_serializer(component_name="CommentCreate")
class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=COMMENT_MAX_CHARS,
        help_text="The comment. Customer-visible unless `work_note` is true.",
    )
    work_note = serializers.BooleanField(
        default=False, help_text="Service-desk staff only: an internal note the caller never sees."
    )


@extend_schema_serializer(component_name="AttachmentCreate")
class AttachmentInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="Error logs, screenshots, documents (§3.2); type is checked by content."
    )


# --- transitions -----------------------------------------------------------------------------


def available_actions(ticket: Ticket, *, user) -> list[str]:
    """The action slugs `user` may call now, of those the type's API offers (its lifecycle
    declaration); the model's transitions decide, this only asks."""
    ticket_type = ticket_type_for(ticket)
    names = {t.name for t in ticket.get_available_user_state_transitions(user)}
    return [
        ticket_type.lifecycle.action(name).slug
        for name in ticket_type.api_action_names()
        if name in names
    ]


@extend_schema_serializer(component_name="Transition")
class TransitionInputSerializer(serializers.Serializer):
    expected_state = TicketStateField(
        required=False,
        help_text="The state you last saw. If the ticket has moved on since, the call fails with "
        "409 `changed_by_someone_else` instead of acting on a stale view.",
    )


@extend_schema_serializer(component_name="Hold")
class HoldInputSerializer(TransitionInputSerializer):
    reason = HoldReasonField(help_text="Why work pauses (§5.12); SLA clocks pause while On Hold.")
    note = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=COMMENT_MAX_CHARS,
        help_text="Optional comment the caller sees, e.g. what you need from them.",
    )


@extend_schema_serializer(component_name="Resolve")
class ResolveInputSerializer(TransitionInputSerializer):
    notes = serializers.CharField(
        max_length=COMMENT_MAX_CHARS,
        help_text="Resolution notes; the caller is asked to confirm them (§10.3).",
    )
    code = ResolutionCodeField(
        required=False,
        default="",
        help_text="How it was resolved (§10.3); empty: none recorded.",
    )


@extend_schema_serializer(component_name="Cancel")
class CancelInputSerializer(TransitionInputSerializer):
    reason = CancelReasonField()


@extend_schema_serializer(component_name="RejectResolution")
class RejectResolutionInputSerializer(TransitionInputSerializer):
    reason = serializers.CharField(
        source="note",
        max_length=COMMENT_MAX_CHARS,
        help_text="What is still wrong; added to the case as your comment.",
    )


class TransitionSchema(TicketApiSchema):
    """Schema of a transition view from its `InputSerializer` and `OutputSerializer`."""

    def get_operation_id(self) -> str:
        return f"{self.view.api_tag}_{self.view.lifecycle_action.slug.replace('-', '_')}"

    def get_summary(self) -> str | None:
        return self.view.lifecycle_action.api_summary or None

    def get_request_serializer(self):
        return self.view.InputSerializer

    def get_response_serializers(self):
        return {200: self.view.OutputSerializer, **error_responses(400, 401, 403, 404, 409)}


class TicketTypeApi:
    """How a ticket type appears in the API: declared by the type (`TicketType.api`, the
    dotted path of an instance) and read by the router.

    - `detail_serializer`: what a transition answers with (the same shape as the type's GET);
    - `get_ticket(number=, user=)`: one ticket through the visibility selector, 404 alike when
      missing or not visible (§10.4);
    - `transition(ticket=, actor=, name=, expected_state=, **arguments)`: the type's
      transition service; the kernel's `ticket_act` by default;
    - `urlpatterns`: the type's own routes (list, detail, comments…); the router adds one
      `POST {slug}/{number}/{action slug}/` per lifecycle action the type's API offers.
    """

    def __init__(
        self,
        *,
        detail_serializer: type[serializers.Serializer] | None = None,
        get_ticket=None,
        transition=None,
        urlpatterns: list | None = None,
    ):
        self.detail_serializer = detail_serializer
        self._get_ticket = get_ticket
        self._transition = transition
        self.urlpatterns = list(urlpatterns or [])

    def get_ticket(self, *, model: type[Ticket], number: str, user) -> Ticket:
        if self._get_ticket is not None:
            return self._get_ticket(number=number, user=user)
        return ticket_get_visible(model.objects.all(), user=user, number=number)

    def transition(self, *, ticket: Ticket, actor, name: str, **data) -> Ticket:
        if self._transition is not None:
            return self._transition(ticket=ticket, actor=actor, name=name, **data)
        return ticket_act(ticket=ticket, name=name, actor=actor, **data)


class TicketOutputSerializer(serializers.Serializer):
    """A ticket as every type has it: the answer of a type that declares no serializer."""

    number = serializers.CharField(read_only=True)
    short_description = serializers.CharField(read_only=True)
    state = TicketStateField(read_only=True)
    priority = serializers.IntegerField(read_only=True, allow_null=True)
    opened_at = serializers.DateTimeField(read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    actions = serializers.SerializerMethodField(
        help_text="Action URLs (`POST …/{number}/<action>/`) you may call now."
    )

    def get_actions(self, ticket) -> list[str]:
        return available_actions(ticket, user=self.context["request"].user)


class ClassifiedTicketSummarySerializer(serializers.Serializer):
    """The fields every staff ticket type lists first: number, subject, state, the §3.8
    classification and the category. A type's own summary adds its fields after these."""

    number = serializers.CharField(read_only=True)
    short_description = serializers.CharField(read_only=True)
    state = TicketStateField(read_only=True)
    hold_reason = HoldReasonField(read_only=True, allow_null=True)
    impact = serializers.ChoiceField(choices=Impact.choices, read_only=True, allow_null=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, read_only=True, allow_null=True)
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        read_only=True,
        allow_null=True,
        help_text="From impact and urgency by the §3.8 matrix.",
    )
    category = CategoryRefSerializer(read_only=True, allow_null=True)


class TicketTransitionApi(TicketApiView):
    """`POST .../{number}/<action>/`: one lifecycle action through the type's service.

    One class per (type, action) is made by `transition_view` from the type's declaration:
    `lifecycle_action` (tickets.lifecycle.Action), `InputSerializer`, `OutputSerializer`, `type_api`.
    Validated input is passed to the service by name, so serializer fields carry the
    service's names.
    """

    schema = TransitionSchema()
    model: type[Ticket]
    lifecycle_action: Action  # not `action`: DRF and drf-spectacular use that name for viewsets
    type_api: TicketTypeApi
    InputSerializer: type[serializers.Serializer] = TransitionInputSerializer
    OutputSerializer: type[serializers.Serializer] = TicketOutputSerializer

    def get_ticket(self, *, number: str) -> Ticket:
        return self.type_api.get_ticket(model=self.model, number=number, user=self.request.user)

    def post(self, request, number: str):
        ticket = self.get_ticket(number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.type_api.transition(
            ticket=ticket,
            actor=request.user,
            name=self.lifecycle_action.name,
            **serializer.validated_data,
        )
        # Read back through the selector so the response has the same shape as a GET.
        ticket = self.get_ticket(number=number)
        return Response(self.OutputSerializer(ticket, context={"request": request}).data)


def _argument_serializer_field(argument, model) -> serializers.Field:
    if argument.choices:
        return serializers.ChoiceField(
            choices=argument.choices_for(model),
            required=argument.required,
            allow_blank=not argument.required,
            help_text=argument.help_text or argument.label,
        )
    return serializers.CharField(
        required=argument.required,
        allow_blank=not argument.required,
        default=serializers.empty if argument.required else "",
        max_length=argument.max_length,
        help_text=argument.help_text or argument.label,
    )


@functools.cache
def transition_input_serializer(model: type[Ticket], action: Action):
    """The request body of an action: the declared serializer (`Action.api_input`), or one
    built from its arguments and note."""
    if action.api_input:
        return import_string(action.api_input)
    fields = {
        "expected_state": serializers.ChoiceField(
            choices=model.State.choices,
            required=False,
            help_text="The state you last saw. If the ticket has moved on since, the call fails "
            "with 409 `changed_by_someone_else` instead of acting on a stale view.",
        ),
        **{a.name: _argument_serializer_field(a, model) for a in action.arguments},
    }
    if action.note is not None:
        fields["note"] = _argument_serializer_field(action.note, model)
    name = f"{model.__name__}{action.name.title().replace('_', '')}"
    serializer = type(f"{name}InputSerializer", (serializers.Serializer,), fields)
    return extend_schema_serializer(component_name=name)(serializer)


def type_api_for(ticket_type) -> TicketTypeApi:
    return import_string(ticket_type.api) if ticket_type.api else TicketTypeApi()


@functools.cache
def _transition_view(label: str, action_name: str):
    ticket_type = ticket_type_by_label(label)
    action = ticket_type.lifecycle.action(action_name)
    type_api = type_api_for(ticket_type)
    model = ticket_type.model
    view = type(
        f"{model.__name__}{action.name.title().replace('_', '')}Api",
        (TicketTransitionApi,),
        {
            "__doc__": action.api_summary or f"{action.button}.",
            "__module__": __name__,
            "api_tag": ticket_type.api_slug,
            "model": model,
            "lifecycle_action": action,
            "type_api": type_api,
            "InputSerializer": transition_input_serializer(model, action),
            "OutputSerializer": type_api.detail_serializer or TicketOutputSerializer,
        },
    )
    return view.as_view()


def ticket_type_urls(ticket_type) -> list:
    """Every route of one type under /api/v1/: its own (`TicketTypeApi.urlpatterns`) and one
    per lifecycle action its API offers, named `{kind}_{action slug}` ("case_hold")."""
    if not ticket_type.api_slug:
        return []
    patterns = list(type_api_for(ticket_type).urlpatterns)
    for name in ticket_type.api_action_names():
        action = ticket_type.lifecycle.action(name)
        patterns.append(
            path(
                f"{ticket_type.api_slug}/<str:number>/{action.slug}/",
                _transition_view(ticket_type.label, action.name),
                name=f"{ticket_type.kind}_{action.slug.replace('-', '_')}",
            )
        )
    return patterns


# --- list filters ----------------------------------------------------------------------------


# The widest UTC offsets in use (Kiribati +14:00, Baker Island -12:00); PostgreSQL refuses
# offsets past ±15:59, and a date near year 1 or 9999 can leave the calendar once in UTC.
MAX_UTC_OFFSET = timedelta(hours=14)


class BoundedIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time whose offset is a real one and which stays in years 1–9999 in UTC."""

    default_error_messages = {
        "out_of_range": "Give a date-time between 0001-01-02 and 9999-12-30 with a UTC offset "
        "no larger than ±14:00.",
    }

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return value
        offset = value.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise DjangoValidationError(self.error_messages["out_of_range"], code="out_of_range")
        try:
            return value.astimezone(UTC) if offset is not None else value
        except OverflowError as exc:
            raise DjangoValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from exc


@extend_schema_field({"type": "string", "format": "date-time"})
class BoundedIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class IdFormField(forms.IntegerField):
    default_error_messages = {"invalid": "Give a whole-number id."}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(filters.Filter):
    """A related row by id: a whole number in the database's key range, else 400 naming it."""

    field_class = IdFormField


class TicketFilterSet(filters.FilterSet):
    """Filters every ticket list offers; types add their own fields."""

    state = filters.MultipleChoiceFilter(
        choices=Ticket.State.choices, help_text="Repeat to match any of several states."
    )
    opened_after = BoundedIsoDateTimeFilter(
        field_name="opened_at", lookup_expr="gte", help_text="ISO 8601 with a timezone."
    )
    opened_before = BoundedIsoDateTimeFilter(
        field_name="opened_at", lookup_expr="lt", help_text="ISO 8601 with a timezone."
    )
    q = filters.CharFilter(
        method="filter_q", max_length=160, help_text="Text in the number or the subject."
    )

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(short_description__icontains=value))
