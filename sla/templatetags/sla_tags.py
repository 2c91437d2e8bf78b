"""The SLA timeline's markup, drawn in Python (issue 9): each clock is a few format strings
(`html_format`) rather than a template loop of variables, conditions and date filters. The same
markup as before for the portal and the console (`sla/_clock_timeline.html`)."""

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from core.markup import html_format
from tickets.templatetags.ticket_tags import time_html

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


@register.simple_tag
def clock_articles(clocks) -> SafeString:
    """An article per `sla.selectors.ClockView`: its status, target, start, deadline (as it
    stands: moved on while paused), stop, the working time counted and not counted, and a
    table of how each segment was counted."""
    tz = timezone.get_current_timezone()
    return SafeString("".join(_clock(clock, tz) for clock in clocks))


def _clock(clock, tz) -> SafeString:
    flags = " sla-clock--breached" if clock.breached else ""
    if not clock.breached and clock.at_risk:
        flags = " sla-clock--at-risk"
    if clock.cancelled:
        flags += " sla-clock--cancelled"
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
