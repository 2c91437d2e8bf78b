"""The SLA timeline's markup, drawn in Python (issue 9): each clock is a few format strings
(`html_format`) rather than a template loop of variables, conditions and date filters
(`sla/_clock_timeline.html`). The console shows each clock in full; a participant reads the
status, the target in plain words and the dates, with how it is counted folded behind "How is
this measured?" — no calendar names or desk terms."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from core.markup import html_format
from tickets.templatetags.ticket_tags import time_html

from ..calendar import BusinessCalendar, get_calendar

register = template.Library()

# The markup the template drew, indented as it was; the desk's note only for the desk.
CLOCK = """
    <article class="sla-clock sla-clock--{phase}{flags}">
      <h3 class="sla-clock__name">{name}</h3>
      <dl class="sla-clock__summary">
        <dt>Status</dt>
        <dd>{status}</dd>
        <dt>Target</dt>
        <dd>{target} <span class="sla-clock__calendar">({calendar})</span></dd>
        <dt>Started</dt>
        <dd>{started}</dd>{due}{stopped}
        <dt>Counted</dt>
        <dd>{counted}</dd>
        <dt>Not counted (on hold)</dt>
        <dd>{paused}</dd>
      </dl>
      <table class="sla-timeline">
        <caption>Time counted towards the {target_type} target</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What happened</th>
            <th scope="col">Counted in the period before</th>
            <th scope="col">Not counted in the period before</th>
            <th scope="col">Counted so far</th>
            {note_header}
          </tr>
        </thead>
        <tbody>{events}
        </tbody>
      </table>
    </article>"""
DUE = """
          <dt>{label}</dt>
          <dd>{deadline}{paused}</dd>"""
STOPPED = """
          <dt>Stopped</dt>
          <dd>{stopped}</dd>"""
EVENT_ROW = """
            <tr class="sla-timeline__event sla-timeline__event--{kind}">
              <td>{at}</td>
              <th scope="row">{label}{detail}</th>
              <td>{counted}</td>
              <td>{excluded}</td>
              <td>{elapsed}</td>
              {note}
            </tr>"""
NOTE_HEADER = SafeString('<th scope="col">Desk note</th>')


# A participant's clock: the facts first, how it is counted in a disclosure.
PARTICIPANT_CLOCK = """
    <article class="sla-clock sla-clock--{phase}{flags}">
      <h3 class="sla-clock__name">{name}</h3>
      <dl class="sla-clock__summary">
        <dt>Status</dt>
        <dd>{status}</dd>
        <dt>Target</dt>
        <dd>{target}</dd>
        <dt>Started</dt>
        <dd>{started}</dd>{due}{stopped}
      </dl>
      <details class="disclosure sla-clock__how">
        <summary class="sla-clock__how-summary">How is this measured?</summary>
        <div class="disclosure__body">
          <p>{counting}</p>{pausing}
          <dl class="sla-clock__summary">
            <dt>Counted so far</dt>
            <dd>{counted}</dd>
            <dt>Not counted</dt>
            <dd>{paused}</dd>
          </dl>
          <table class="sla-timeline">
            <caption>Step by step</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What happened</th>
                <th scope="col">Counted in the period before</th>
                <th scope="col">Not counted in the period before</th>
                <th scope="col">Counted so far</th>
              </tr>
            </thead>
            <tbody>{events}
            </tbody>
          </table>
        </div>
      </details>
    </article>"""
PAUSING = """
          <p>While your case is on hold (for example, while the service desk waits for your reply), this time is not counted.</p>"""


@register.simple_tag
def clock_articles(clocks) -> SafeString:
    """An article per `sla.selectors.ClockView`: its status, target, start, deadline (as it
    stands: moved on while paused), stop, the working time counted and not counted, and a
    table of how each segment was counted; for a participant (`ClockView.internal` False), in
    plain words with the counting behind a disclosure."""
    tz = timezone.get_current_timezone()
    return SafeString(
        "".join((_clock if clock.internal else _participant_clock)(clock, tz) for clock in clocks)
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _hours_and_minutes(minutes: int) -> str:
    hours, minutes = divmod(minutes, 60)
    parts = [_plural(hours, "hour")] if hours else []
    if minutes or not hours:
        parts.append(_plural(minutes, "minute"))
    return " ".join(parts)


def plain_target(target: timedelta | None, calendar_name: str) -> str:
    """A target as a participant reads it: "15 minutes", "24 hours", "5 working days"."""
    if target is None:
        return "Agreed with you for this request"
    minutes = int(target.total_seconds() // 60)
    calendar = get_calendar(calendar_name)
    if isinstance(calendar, BusinessCalendar):
        day = int(calendar.day_length.total_seconds() // 60)
        if minutes and minutes % day == 0:
            return _plural(minutes // day, "working day")
        return f"{_hours_and_minutes(minutes)} of working time"
    return _hours_and_minutes(minutes)


def plain_counting(calendar_name: str) -> str:
    """How a calendar counts time, in a participant's words, from the calendar itself."""
    calendar = get_calendar(calendar_name)
    if isinstance(calendar, BusinessCalendar):
        hours = calendar.day_length.total_seconds() / 3600
        return (
            f"Counted in working hours only: {calendar.open:%H:%M} to {calendar.close:%H:%M}, "
            "Monday to Friday, not on bank holidays in England and Wales. A working day is "
            f"{hours:g} hours."
        )
    return "Counted around the clock, every day of the year, including weekends and bank holidays."


def _when(clock, tz) -> tuple[str, str]:
    due = stopped = ""
    if clock.deadline:
        due = html_format(
            DUE,
            label="Was due" if clock.phase == "stopped" else "Due",
            deadline=time_html(clock.deadline, weekday=True, tz=tz),
            paused=" if work resumes now" if clock.phase == "paused" else "",
        )
    if clock.stopped_at and not clock.cancelled:
        stopped = html_format(STOPPED, stopped=time_html(clock.stopped_at, weekday=True, tz=tz))
    return due, stopped


def _participant_clock(clock, tz) -> SafeString:
    flags = " sla-clock--breached" if clock.breached else ""
    due, stopped = _when(clock, tz)
    return html_format(
        PARTICIPANT_CLOCK,
        phase=clock.phase,
        flags=SafeString(flags),
        name=clock.target_type_label,
        status=clock.status,
        target=plain_target(clock.target, clock.clock.calendar),
        started=time_html(clock.started_at, weekday=True, tz=tz),
        due=due,
        stopped=stopped,
        counting=plain_counting(clock.clock.calendar),
        pausing=SafeString(PAUSING) if "on_hold" in clock.pause_states else "",
        counted=clock.elapsed_display,
        paused=clock.paused_display,
        events=_event_rows(clock, tz),
    )


def _clock(clock, tz) -> SafeString:
    flags = " sla-clock--breached" if clock.breached else ""
    if not clock.breached and clock.at_risk:
        flags = " sla-clock--at-risk"
    if clock.cancelled:
        flags += " sla-clock--cancelled"
    due, stopped = _when(clock, tz)
    counted = clock.elapsed_display
    if clock.percent is not None:
        counted = f"{counted} ({clock.percent}% of target)"
    return html_format(
        CLOCK,
        phase=clock.phase,
        flags=SafeString(flags),
        name=clock.name,
        status=clock.status,
        target=clock.target_display,
        calendar=clock.calendar_label,
        started=time_html(clock.started_at, weekday=True, tz=tz),
        due=due,
        stopped=stopped,
        counted=counted,
        paused=clock.paused_display,
        target_type=clock.target_type_label.lower(),
        note_header=NOTE_HEADER if clock.internal else "",
        events=_event_rows(clock, tz),
    )


def _event_rows(clock, tz) -> SafeString:
    return SafeString(
        "".join(
            html_format(
                EVENT_ROW,
                kind=event.kind,
                at=time_html(event.at, weekday=True, tz=tz),
                label=event.label,
                detail=html_format(": {}", event.detail) if event.detail else "",
                counted=event.counted_display,
                excluded=event.excluded_display,
                elapsed=event.elapsed_display,
                note=html_format("<td>{}</td>", event.note) if clock.internal else "",
            )
            for event in clock.events
        )
    )


# --- the console's SLA panel (sla/_sla_panel.html), drawn in Python (issue 9) -----------------

_LONDON = "Europe/London"


def _panel_time(value, fmt: str) -> str:
    from zoneinfo import ZoneInfo

    from django.utils import dateformat

    return dateformat.format(timezone.localtime(value, ZoneInfo(_LONDON)), fmt)


def _panel_row(clock, clock_url: str) -> SafeString:
    flags = ""
    if clock.breached:
        flags += " sla-panel__clock--breached"
    elif clock.at_risk:
        flags += " sla-panel__clock--at-risk"
    if clock.cancelled:
        flags += " sla-panel__clock--cancelled"
    description = (
        html_format('<div class="help">{}</div>', clock.description) if clock.description else ""
    )
    flag = ""
    if clock.breached and not clock.cancelled:
        flag = SafeString(
            '<strong class="sla-panel__flag sla-panel__flag--breached">Breached</strong>'
        )
    elif clock.at_risk and clock.phase == "running":
        flag = SafeString(
            '<strong class="sla-panel__flag sla-panel__flag--at-risk">At risk</strong>'
        )
    if clock.phase == "paused":
        flag = html_format(
            '{}<span class="sla-panel__flag sla-panel__flag--paused">Paused</span>', flag
        )
    if clock.deadline:
        note = ""
        if clock.phase == "paused":
            note = SafeString('<div class="help">if work resumes now</div>')
        elif clock.phase == "stopped" and not clock.cancelled:
            note = html_format(
                '<div class="help">stopped {}</div>', _panel_time(clock.stopped_at, "j M, H:i")
            )
        deadline = html_format(
            '<time datetime="{}">{}</time>{}',
            _panel_time(clock.deadline, "c"),
            _panel_time(clock.deadline, "D j M Y, H:i"),
            note,
        )
    else:
        deadline = SafeString('<span class="help">no target yet (agreed per request)</span>')
    if clock.percent is not None:
        shown = 100 if clock.percent > 100 else clock.percent
        elapsed = html_format(
            '<meter min="0" max="100" low="75" high="99" optimum="0" value="{}">{}%</meter> {}%',
            shown,
            clock.percent,
            clock.percent,
        )
    else:
        elapsed = "-"
    paused = f", {clock.paused_display} paused" if clock.paused_total else ""
    return html_format(
        '<tr class="sla-panel__clock sla-panel__clock--{}{}"><th scope="row">'
        '<a href="{}">{}</a>{}</th><td>{}<div>{}</div></td>'
        '<td>{}<div class="help">{}</div></td><td>{}</td>'
        '<td>{}<div class="help">{} counted{}</div></td><td>{}</td></tr>',
        clock.phase,
        flags,
        clock_url % clock.clock.pk,
        clock.name,
        description,
        flag,
        clock.status,
        clock.target_display,
        clock.calendar_label,
        deadline,
        elapsed,
        clock.elapsed_display,
        paused,
        "-" if clock.phase == "stopped" else clock.remaining_display,
    )


@register.simple_tag
def sla_panel(clocks) -> SafeString:
    """The desk's SLA panel: each clock with its status, target, UK deadline, share elapsed
    and working time left (docs/architecture.md §3)."""
    from core.markup import html_join
    from core.urls import reverse_fixed

    if not clocks:
        body = SafeString('<p class="help">No service level applies to this ticket yet.</p>')
    else:
        # One reversal for the page, the clock's id filled in per row.
        clock_url = reverse_fixed("admin:sla_ticketsla_change", object_id="999999999").replace(
            "999999999", "%d"
        )
        body = html_format(
            '<table class="sla-panel__table"><thead><tr><th scope="col">Clock</th>'
            '<th scope="col">Status</th><th scope="col">Target</th>'
            '<th scope="col">Deadline (UK time)</th><th scope="col">Elapsed</th>'
            '<th scope="col">Working time left</th></tr></thead><tbody>{}</tbody></table>',
            html_join(_panel_row(clock, clock_url) for clock in clocks),
        )
    return html_format(
        '<div class="module sla-panel" id="sla-panel"><h2>Service levels</h2>{}</div>', body
    )
