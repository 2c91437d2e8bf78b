"""Portal forms for reading the knowledge base: the search box with its filters, and
"Was this helpful?" (§11.2)."""

from django import forms

from tickets.models import Category, Service

from .search import MAX_QUERY_CHARS
from .services import FEEDBACK_COMMENT_MAX_CHARS


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
        error_messages={"invalid_choice": "That category is not one of the choices."},
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        label="Service",
        required=False,
        empty_label="All services",
        to_field_name="code",
        error_messages={"invalid_choice": "That service is not one of the choices."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True).order_by("name")
        self.fields["service"].queryset = Service.objects.filter(active=True).order_by("name")
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
