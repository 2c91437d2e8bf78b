"""Portal forms for reading the knowledge base: the search box with its filters, and
"Was this helpful?" (§11.2)."""

from django import forms
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tickets.models import Category, Service
from tickets.reference_cache import category_choices, service_choices

from .search import MAX_QUERY_CHARS
from .services import FEEDBACK_COMMENT_MAX_CHARS


class PlainSelect(forms.Select):
    """Django's `<select>` markup (the same attributes, the same option selected) drawn in
    Python: the widget's templates — one for the select, one per option and one per option's
    attributes — were a sixth of the search page's time (issue 12). Flat choices only."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        chosen = set(self.format_value(value))
        options = "".join(
            f'<option value="{escape(option)}"{" selected" if str(option) in chosen else ""}>'
            f"{escape(label)}</option>"
            for option, label in self.choices
        )
        flat = "".join(
            f" {key}" if given is True else f' {key}="{escape(given)}"'
            for key, given in self.build_attrs(self.attrs, attrs).items()
            if given is not False and given is not None
        )
        return mark_safe(f'<select name="{escape(name)}"{flat}>{options}</select>')  # noqa: S308 — every value escaped


class ArticleSearchForm(forms.Form):
    q = forms.CharField(
        label="Search the knowledge base",
        required=False,
        max_length=MAX_QUERY_CHARS,
        help_text="Words from the title or text, for example “settlement run” or “DIP certificate”.",
        error_messages={"max_length": f"Keep the search to {MAX_QUERY_CHARS} characters or fewer."},
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        label="Category",
        required=False,
        empty_label="All categories",
        widget=PlainSelect,
        error_messages={"invalid_choice": "That category is not one of the choices."},
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        label="Service",
        required=False,
        empty_label="All services",
        to_field_name="code",
        widget=PlainSelect,
        error_messages={"invalid_choice": "That service is not one of the choices."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True).order_by("name")
        self.fields["service"].queryset = Service.objects.filter(active=True).order_by("name")
        # The choices drawn come from the per-process reference data (no query per page view,
        # issue 12); a value sent is still checked against the database by the field.
        self.fields["category"].widget.choices = [
            ("", "All categories"),
            *sorted(category_choices(active_only=True), key=lambda choice: choice[1]),
        ]
        self.fields["service"].widget.choices = [
            ("", "All services"),
            *service_choices(active_only=True),
        ]
        self.fields["q"].widget.attrs.update({"type": "search", "autocomplete": "off"})


class ArticleFeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        label="Was this article helpful?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose yes or no.",
            "invalid_choice": "Choose yes or no.",
        },
    )
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=FEEDBACK_COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What helped, or what was missing. Do not include MPANs or personal details.",
        error_messages={
            "max_length": f"Keep the comment to {FEEDBACK_COMMENT_MAX_CHARS:,} characters or fewer."
        },
    )
