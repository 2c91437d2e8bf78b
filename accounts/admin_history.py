"""Console history pages for the reference records (§10.5.3, §12): shown, never reverted.

Reverting would write a record around its service (an organisation's tree path, a user's
attachment or roles), so the revert form is read-only, like the tickets' history.
"""

from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class AuditedHistoryAdmin(SimpleHistoryAdmin):
    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("History is read-only in the console.")
        return super().history_form_view(request, object_id, version_id, extra_context)
