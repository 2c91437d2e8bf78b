"""The console's page frame drawn in Python (issue 9): head links, header, user links,
navigation sidebar and messages of `templates/admin/base.html`.

Django admin's base template asks the template engine for some 60 nodes on every console page
— ten URL reversals, twenty static lookups and translations, three includes and the bell's
template — which cost a console page about 2.4 ms, half the ceiling's whole request. What
they draw is the same for every request of a user but for a handful of values (the user's
name and permissions, the bell's count, the CSRF token, the messages), so the constant markup
is built once per process and the rest with `core.markup.html_format`. The markup is Django's
own, class for class, so the admin's styles and scripts work unchanged; the blocks that admin
templates override (`branding`, `usertools`, `userlinks`, `breadcrumbs`, `nav-sidebar`,
`messages`) stay blocks in the template.
"""

from functools import cache

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils import timezone
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import Truncator, capfirst

from core.markup import escape, html_format, html_join
from core.urls import reverse_fixed

register = template.Library()


@cache
def _head_links(nav_sidebar: bool) -> SafeString:
    """The admin's stylesheets and scripts, as admin/base.html links them (ltr, en-GB)."""
    links = [
        html_format('<link rel="stylesheet" href="{}">', static("admin/css/base.css")),
        html_format('<link rel="stylesheet" href="{}">', static("admin/css/dark_mode.css")),
        html_format('<script src="{}"></script>', static("admin/js/theme.js")),
    ]
    if nav_sidebar:
        links += [
            html_format('<link rel="stylesheet" href="{}">', static("admin/css/nav_sidebar.css")),
            html_format('<script src="{}" defer></script>', static("admin/js/nav_sidebar.js")),
        ]
    links += [
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        html_format('<link rel="stylesheet" href="{}">', static("admin/css/responsive.css")),
    ]
    return mark_safe("\n".join(links))  # noqa: S308 — each piece escaped above


@register.simple_tag(takes_context=True)
def console_head_links(context) -> SafeString:
    return _head_links(bool(context.get("is_nav_sidebar_enabled") and not context.get("is_popup")))


@cache
def _console_links() -> SafeString:
    """The console's own stylesheet, icon and the priority matrix's script (every page)."""
    return html_format(
        '<link rel="stylesheet" href="{}">\n<link rel="icon" href="{}" type="image/svg+xml">\n'
        '<script src="{}" defer></script>',
        static("admin_console/console.css"),
        static("favicon.svg"),
        static("admin_console/priority_matrix.js"),
    )


@register.simple_tag
def console_links() -> SafeString:
    return _console_links()


@register.simple_tag
def console_utc_offset() -> str:
    """The page's UTC offset in seconds, as `{% now "Z" %}` writes it for the admin's
    calendar widgets (0 in winter, 3600 in British Summer Time)."""
    offset = timezone.localtime().utcoffset()
    return str(int(offset.total_seconds())) if offset is not None else "0"


_THEME_TOGGLE = mark_safe(
    '<button class="theme-toggle">\n'
    '  <span class="visually-hidden theme-label-when-auto">Toggle theme (current theme: auto)'
    "</span>\n"
    '  <span class="visually-hidden theme-label-when-light">Toggle theme (current theme: light)'
    "</span>\n"
    '  <span class="visually-hidden theme-label-when-dark">Toggle theme (current theme: dark)'
    "</span>\n"
    '  <svg aria-hidden="true" class="theme-icon-when-auto"><use xlink:href="#icon-auto" /></svg>\n'
    '  <svg aria-hidden="true" class="theme-icon-when-dark"><use xlink:href="#icon-moon" /></svg>\n'
    '  <svg aria-hidden="true" class="theme-icon-when-light"><use xlink:href="#icon-sun" /></svg>\n'
    "</button>"
)


@register.simple_tag(takes_context=True)
def console_branding(context) -> SafeString:
    """The console's name linking home; signed-out pages (the admin's sign-in) get the theme
    toggle here, as the admin draws it."""
    branding = html_format(
        '<div id="site-name"><a href="{}">{}</a></div>',
        reverse_fixed("admin:index"),
        context.get("site_header") or "MHHS Service Desk console",
    )
    user = context.get("user")
    if user is None or user.is_anonymous:
        return html_format("{}\n{}", branding, _THEME_TOGGLE)
    return branding


@register.simple_tag(takes_context=True)
def console_welcome(context) -> SafeString:
    user = context["user"]
    return html_format(
        "Welcome, <strong>{}</strong>.", user.get_short_name() or user.get_username()
    )


# The desk's shortcuts in the header: (permission, URL name, class, label).
_DESK_LINKS = (
    ("cases.view_case", "admin:cases_case_triage_queue", "console-nav-triage", "Triage queue"),
    (
        "cases.change_case",
        "admin:cases_case_update_queue",
        "console-nav-updates",
        "Awaiting update",
    ),
    (
        "cases.change_case",
        "admin:cases_case_raise_for_caller",
        "console-nav-raise-for-caller",
        "Raise a case for a caller",
    ),
    (
        "accounts.change_registrationrequest",
        "admin:accounts_registrationrequest_changelist",
        "console-nav-registrations",
        "Registrations",
    ),
    # Queues, backlogs and periodic tasks (issue 14).
    (
        "ops.view_system_status",
        "ops_console:system_status",
        "console-nav-system-status",
        "System status",
    ),
)

_BELL_ICON = mark_safe(
    '<svg class="notification-bell__icon" aria-hidden="true" focusable="false" width="20" '
    'height="20" viewBox="0 0 24 24"><path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 '
    "2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 "
    '0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"/></svg>'
)


def _bell(context) -> SafeString:
    """The notification bell (comms/_notification_bell.html's markup), counting once."""
    bell = context.get("notification_bell")
    unread = bell.unread if bell is not None else 0
    if unread:
        count = html_format(
            '<span class="notification-bell__count" data-unread-count>{}</span>'
            '<span class="visually-hidden"> ({} unread)</span>',
            unread,
            unread,
        )
    else:
        count = mark_safe('<span class="visually-hidden"> (none unread)</span>')
    return html_format(
        '<a class="notification-bell{}" href="{}" data-notification-bell>\n  {}\n'
        '  <span class="notification-bell__label">Notifications</span>\n  {}\n</a>',
        " notification-bell--unread" if unread else "",
        reverse_fixed("comms:notification_list"),
        _BELL_ICON,
        count,
    )


@register.simple_tag(takes_context=True)
def console_userlinks(context) -> SafeString:
    """The desk's shortcuts the user may use, the bell, then the admin's own links: view
    site, change password, sign out (a POST form with the CSRF token) and the theme toggle."""
    user = context["user"]
    parts = []
    if context.get("has_permission"):
        for permission, url_name, css_class, label in _DESK_LINKS:
            if user.has_perm(permission):
                parts.append(
                    html_format(
                        '<a href="{}" class="{}">{}</a> /',
                        reverse_fixed(url_name),
                        css_class,
                        label,
                    )
                )
        if user.is_authenticated:
            parts.append(html_format("{} /", _bell(context)))
    site_url = context.get("site_url")
    if site_url:
        parts.append(html_format('<a href="{}">View site</a> /', site_url))
    if user.has_usable_password():
        parts.append(
            html_format(
                '<a href="{}">Change password</a> /', reverse_fixed("admin:password_change")
            )
        )
    parts.append(
        html_format(
            '<form id="logout-form" method="post" action="{}">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<button type="submit">Log out</button></form>',
            reverse_fixed("admin:logout"),
            context.get("csrf_token") or "",
        )
    )
    parts.append(_THEME_TOGGLE)
    return html_join(html_format("{}\n", part) for part in parts)


@register.simple_tag(takes_context=True)
def console_nav_sidebar(context) -> SafeString:
    """admin/nav_sidebar.html: the toggle, the filter box and the app list the console's site
    draws once per permission set (`ConsoleAdminSite._nav_sidebar_html`)."""
    return html_format(
        '<button class="sticky toggle-nav-sidebar" id="toggle-nav-sidebar" '
        'aria-label="Toggle navigation"></button>\n'
        '<nav class="sticky" id="nav-sidebar" aria-label="Sidebar">\n'
        '  <input type="search" id="nav-filter" placeholder="Start typing to filter…" '
        'aria-label="Filter navigation items">\n  {}\n</nav>',
        # A lazy proxy of drawn markup (admin/app_list.html): safe once forced.
        mark_safe(str(context.get("nav_sidebar_html") or "")),  # noqa: S308
    )


@register.simple_tag(takes_context=True)
def console_messages(context) -> SafeString:
    messages = context.get("messages")
    if not messages:
        return mark_safe("")
    items = []
    for message in messages:
        text = capfirst(str(message))
        if isinstance(message.message, SafeData):
            text = mark_safe(text)  # noqa: S308 — the sender marked it safe, as `capfirst` keeps it
        items.append(
            html_format(
                "<li{}>{}</li>",
                html_format(' class="{}"', message.tags) if message.tags else "",
                text,
            )
        )
    return html_format('<ul class="messagelist">{}</ul>', html_join(items))


@register.simple_tag
def console_home_url() -> str:
    return reverse_fixed("admin:index")


@register.simple_tag
def console_language() -> str:
    return escape(settings.LANGUAGE_CODE)


# --- a change form's head and breadcrumbs (admin/change_form.html's, for pages that write
# their own content block: the case page) ---------------------------------------------------

_media_html: dict[tuple, str] = {}


@register.simple_tag
def console_form_head(media) -> SafeString:
    """The admin's JavaScript catalogue and the form's media, as admin/change_form.html links
    them; the media's markup is kept per set of files (static URLs do not change while the
    process runs)."""
    key = (tuple(media._css.items()), tuple(media._js)) if media else ((), ())
    drawn = _media_html.get(key)
    if drawn is None:
        drawn = _media_html.setdefault(key, str(media) if media else "")
    return html_format(
        '<script src="{}"></script>\n{}',
        reverse_fixed("admin:jsi18n"),
        mark_safe(drawn),  # noqa: S308 — Django's Media markup of the admin's own files
    )


@cache
def _forms_css() -> SafeString:
    return html_format('<link rel="stylesheet" href="{}">', static("admin/css/forms.css"))


@register.simple_tag
def console_forms_css() -> SafeString:
    return _forms_css()


@register.simple_tag(takes_context=True)
def console_form_breadcrumbs(context) -> SafeString:
    """Home › the app › the list › the object, as admin/change_form.html draws them."""
    opts = context["opts"]
    plural = capfirst(opts.verbose_name_plural)
    listed = (
        html_format(
            '<a href="{}">{}</a>',
            reverse_fixed(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
            plural,
        )
        if context.get("has_view_permission")
        else plural
    )
    if context.get("add"):
        current = f"Add {opts.verbose_name}"
    else:
        current = Truncator(str(context.get("original", ""))).words(18, truncate=" …")
    return html_format(
        '<div class="breadcrumbs">\n<a href="{}">Home</a>\n&rsaquo; <a href="{}">{}</a>\n'
        "&rsaquo; {}\n&rsaquo; {}\n</div>",
        reverse_fixed("admin:index"),
        reverse_fixed("admin:app_list", app_label=opts.app_label),
        opts.app_config.verbose_name,
        listed,
        current,
    )
