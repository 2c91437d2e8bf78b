"""`POST /api/v1/inbound-email/`: a mail gateway hands over one raw message (§10.2).

The body is the whole RFC 822 message, sent as `message/rfc822` (or `text/plain`). Only
staff or integration accounts holding `comms.add_inboundemail` may call it, with an access
token scoped `inbound-email` and `write`: the API's default authentication and `ApiAccess`
guard (`REST_FRAMEWORK` in settings) apply, and `MayIngestEmail` adds the permission and the
token (a browser session is refused), so communications import nothing from `access`.
Who may *reply* is decided per message from its From address, as for every entry point.
The answer is 202 with the outcome (`attached`, `new_case`, `refused`, `duplicate`, `error`,
`failed`); input that is not an email is 400 in the API's one error shape. A message that
cannot be processed otherwise is kept raw as `failed` for the console's Retry action (issue 7),
so the gateway is told it was received rather than handing it over again and again.
"""

from django.db import InterfaceError, OperationalError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.errors import ValidationFailed

from .inbound import (
    InboundEmailUnreadable,
    InboundOutcome,
    inbound_email_max_bytes,
    inbound_email_process,
    inbound_email_record_failure,
)
from .models import InboundEmail


class RawEmailParser(BaseParser):
    """The request body, unparsed, as bytes; refuses anything over the inbound size limit."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        limit = inbound_email_max_bytes()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise ValidationFailed(
                f"The message is larger than {limit / 1048576:.0f} MB.",
                field_errors={"message": ["Too large."]},
            )
        return raw


class PlainTextEmailParser(RawEmailParser):
    media_type = "text/plain"


class MayIngestEmail(BasePermission):
    """Staff or integration accounts with `comms.add_inboundemail`, by access token (the
    default guard has checked its scopes); never a participant, never a browser session."""

    message = "Only the mail gateway's integration account may hand over inbound email."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return (
            request.auth is not None
            and user.has_perm("comms.add_inboundemail")
            and not user.is_participant
        )


class InboundEmailOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=InboundEmail.Status.choices)
    reason = serializers.CharField(help_text="What was done, or why the message was refused.")
    message_id = serializers.CharField()
    inbound_email_id = serializers.IntegerField(allow_null=True)
    ticket = serializers.CharField(
        allow_null=True, help_text="The ticket the message replied to, when one was matched."
    )
    created_case = serializers.CharField(
        allow_null=True,
        help_text="The follow-up opened by a reply to a closed ticket (a case, for a case).",
    )
    journal_entry_id = serializers.IntegerField(allow_null=True)


class InboundEmailApi(APIView):
    # The project's guard first (signed in, staff with a second factor, token scopes), then
    # the gateway's own permission.
    permission_classes = [*api_settings.DEFAULT_PERMISSION_CLASSES, MayIngestEmail]
    token_scope = "inbound-email"
    parser_classes = [RawEmailParser, PlainTextEmailParser]
    OutputSerializer = InboundEmailOutputSerializer

    @extend_schema(
        operation_id="inbound_email_create",
        summary="Hand over one inbound email (reply by email)",
        request={"message/rfc822": OpenApiTypes.BINARY, "text/plain": OpenApiTypes.STR},
        responses={
            202: InboundEmailOutputSerializer,
            400: OpenApiResponse(description="Not an email, or too large."),
            401: OpenApiResponse(description="No or invalid token."),
            403: OpenApiResponse(description="Not the mail gateway's integration account."),
            415: OpenApiResponse(description="Send message/rfc822 or text/plain."),
        },
    )
    def post(self, request):
        raw = request.data
        if not isinstance(raw, bytes | str):
            # DRF skips the parser for an empty body and hands over an empty QueryDict.
            raise InboundEmailUnreadable(
                "The request body is empty: send the whole RFC 822 message as the body."
            )
        try:
            outcome = inbound_email_process(raw=raw, source=InboundEmail.Source.API)
        except (InboundEmailUnreadable, OperationalError, InterfaceError):
            raise  # not an email (400), or the database is down: the gateway tries again
        except Exception as exc:  # noqa: BLE001 - a poison message: kept for the console
            record = inbound_email_record_failure(
                raw=raw, source=InboundEmail.Source.API, error=exc
            )
            outcome = InboundOutcome(
                status=record.status,
                reason=record.reason,
                message_id=record.message_id,
                inbound_email_id=record.pk,
            )
        return Response(
            self.OutputSerializer(outcome.as_dict()).data, status=status.HTTP_202_ACCEPTED
        )
