"""Writes on changes (§8, §9), by sub-domain; every public service is re-exported here."""

from .catalogue import (
    standard_change_template_accept,
    standard_change_template_propose,
    standard_change_template_retire,
)
from .lifecycle import (
    change_assess,
    change_authorise,
    change_cancel,
    change_close,
    change_complete,
    change_mark_unauthorised,
    change_record_approval,
    change_review_item_complete,
    change_schedule,
    change_start_implementation,
    change_submit,
)
from .notifications import (
    external_change_notification_acknowledge,
    external_change_notification_submit,
)
from .records import (
    change_create,
    change_link_incident,
    change_link_problem,
    change_update,
    standard_change_from_template,
)

__all__ = [
    "change_assess",
    "change_authorise",
    "change_cancel",
    "change_close",
    "change_complete",
    "change_create",
    "change_link_incident",
    "change_link_problem",
    "change_mark_unauthorised",
    "change_record_approval",
    "change_review_item_complete",
    "change_schedule",
    "change_start_implementation",
    "change_submit",
    "change_update",
    "external_change_notification_acknowledge",
    "external_change_notification_submit",
    "standard_change_from_template",
    "standard_change_template_accept",
    "standard_change_template_propose",
    "standard_change_template_retire",
]
from .cab import (  # noqa: E402
    cab_action_add,
    cab_action_complete,
    cab_attendee_add,
    cab_decision_record,
    cab_meeting_close,
    cab_meeting_for_day,
    cab_meeting_record_minutes,
    cab_meeting_schedule_next,
    cab_meeting_send,
    ecab_convene,
)

__all__ += [
    "cab_action_add",
    "cab_action_complete",
    "cab_attendee_add",
    "cab_decision_record",
    "cab_meeting_close",
    "cab_meeting_for_day",
    "cab_meeting_record_minutes",
    "cab_meeting_schedule_next",
    "cab_meeting_send",
    "ecab_convene",
]

# The schedule and its reports (§8.9, §8.10).
from .schedule import (  # noqa: E402
    change_calendar_feed_issue,
    change_calendar_feed_open,
    change_calendar_feed_revoke,
    change_report_subscription_add,
    change_report_subscription_remove,
    change_reports_issue,
)

__all__ += [
    "change_calendar_feed_issue",
    "change_calendar_feed_open",
    "change_calendar_feed_revoke",
    "change_report_subscription_add",
    "change_report_subscription_remove",
    "change_reports_issue",
]
