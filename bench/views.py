"""The ceiling: the cheapest useful request the stack can serve, measured in every bench run.

Session authentication, one indexed read of 50 cases, a four-field serializer, JSON. Each
page's requests per second are reported as a share of this one's, measured on the same
machine in the same run, so the figures say how much a page costs beyond the framework, the
session and one query, whatever the machine.
"""

from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Case

CEILING_ROWS = 50


class CeilingApi(APIView):
    """GET /bench/ceiling/: the newest 50 cases of the user's own organisation, read through
    the `case_org_opened` index (or the newest 50 by `opened_at` for a user without one)."""

    authentication_classes = [SessionAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes: list = []

    class OutputSerializer(serializers.Serializer):
        number = serializers.CharField()
        short_description = serializers.CharField()
        state = serializers.CharField()
        opened_at = serializers.DateTimeField()

    def get(self, request):
        cases = Case.objects.only("number", "short_description", "state", "opened_at")
        if request.user.organisation_id:
            cases = cases.filter(organisation_id=request.user.organisation_id)
        rows = cases.order_by("-opened_at")[:CEILING_ROWS]
        return Response({"results": self.OutputSerializer(rows, many=True).data})
