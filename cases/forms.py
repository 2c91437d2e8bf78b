"""Portal forms. They collect and type-check input; the rules live in `cases.services`.

Impact and urgency are deliberately absent: the desk assesses them, never the raiser (§3.8).
"""

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import Organisation
from accounts.selectors import organisations_for_user
from comms.mpan_fields import MpanFormField
from core.errors import ValidationFailed
from core.forms import DomainErrorFormMixin
from tickets.attachments import validate_upload
from tickets.limits import COMMENT_MAX_CHARS, DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS
from tickets.models import Category

from .selectors import CASE_SORT_CHOICES

MAX_FILES_PER_UPLOAD = 10
# The hidden lists of suggested and opened article ids: longer is cut, never an error.
SHOWN_ARTICLES_MAX_CHARS = 1000
SNIFF_BYTES = 64 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field that accepts several files and checks each with the kernel's validator,
    so a bad file is reported next to the field before anything is written."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    # Files already kept for this form (`CaseCreateForm(pending=…)`), which count towards the
    # limit as well.
    already_kept = 0

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if not files:
            return super().clean(None, initial) or []
        if len(files) + self.already_kept > MAX_FILES_PER_UPLOAD:
            raise ValidationError(f"Attach at most {MAX_FILES_PER_UPLOAD} files at a time.")
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in files]
        problems = []
        for upload in cleaned:
            upload.seek(0)
            head = upload.read(SNIFF_BYTES)
            upload.seek(0)
            try:
                validate_upload(name=upload.name or "file", size=upload.size or 0, head=head)
            except ValidationFailed as exc:
                problems.append(exc.message)
        if problems:
            raise ValidationError(problems)
        return cleaned


ATTACHMENTS_KEPT_HELP = (
    "The files listed under “Attached files” are kept from before: you need not choose them "
    "again. "
    "Choose more only if you want to add them (PDF, PNG, JPEG, GIF, ZIP, DOCX, XLSX or text; up "
    "to 10 files in all)."
)


class CaseCreateForm(DomainErrorFormMixin, forms.Form):
    """The §3.2 portal fields, in the manual's order (with "Requested by" of §11.2.1 and
    §14.2); * fields are required.

    `pending`: files chosen when the form last came back with errors and kept for the user
    (`tickets.models.PendingUpload`); they are attached with the case and count towards the
    file limit."""

    service_field_names = {"file": "attachments"}

    requested_by = forms.CharField(
        label="Requested by",
        max_length=200,
        required=False,
        help_text="The name of the person asking. Yours is filled in; change it if you are "
        "raising this for someone else.",
        error_messages={"max_length": "Keep the name to 200 characters or fewer."},
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        label="Organisation",
        empty_label=None,
        help_text="The organisation this case is for.",
        error_messages={
            "required": "Choose the organisation this case is for.",
            "invalid_choice": "You can only raise cases for your own organisation or those below it.",
        },
    )
    party_id = forms.CharField(
        label="Party ID",
        max_length=20,
        required=False,
        help_text="Your market Party ID, for example ABCD. If you have none, tick the box below.",
    )
    no_party_id = forms.BooleanField(label="I do not have a party ID", required=False)
    unregistered_organisation_name = forms.CharField(
        label="Unregistered Organisation Name",
        max_length=200,
        required=False,
        help_text="If your organisation is not yet registered in the market.",
    )
    market_participant_id = forms.CharField(
        label="Market Participant ID", max_length=20, required=False
    )
    cra_market_role = forms.ChoiceField(
        label="CRA Market Role",
        required=False,
        choices=[("", "Not applicable"), *Organisation.CraMarketRole.choices],
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        label="Category",
        empty_label="Choose a category",
        error_messages={
            "required": "Choose a category.",
            "invalid_choice": "That category is no longer in use; choose another.",
        },
    )
    short_description = forms.CharField(
        label="Subject",
        max_length=SUBJECT_MAX_CHARS,
        help_text="A short description of the incident or request.",
        error_messages={
            "required": "Give the case a subject.",
            "max_length": "Keep the subject to 160 characters or fewer.",
        },
    )
    description = forms.CharField(
        label="Description",
        max_length=DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "A full description of the incident or request, including any steps you have "
            "already taken to resolve it. Do not include MPANs unless asked. Attach logs "
            "and documents as files."
        ),
        error_messages={
            "required": "Describe the issue or request.",
            "max_length": f"Keep the description to {DESCRIPTION_MAX_CHARS:,} characters or "
            "fewer; attach logs and documents as files.",
        },
    )
    related_url = forms.URLField(
        label="URL of related page or document",
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": "Enter a full web address starting with https://."},
    )
    mpan = MpanFormField(
        label="MPAN (if the case concerns one)",
        required=False,
        help_text=(
            "The 13-digit MPAN core or the 21-digit full MPAN. Put MPANs here, never in email: "
            "emails from the desk only carry the case number and a link."
        ),
    )
    attachments = MultipleFileField(
        label="Attachments",
        required=False,
        help_text=(
            "Optional: error logs, screenshots or documents (PDF, PNG, JPEG, GIF, ZIP, DOCX, "
            "XLSX or text). Up to 10 files. If the form shows a problem, the files you chose "
            "are kept: you need not choose them again."
        ),
    )

    # Self-help (§11.2.2): the ids of the articles the form's script suggested as the
    # subject was typed, and of those the raiser opened; checked by
    # `cases.knowledge_links.case_suggestions_record`, which ignores anything else.
    suggested_articles = forms.CharField(
        required=False, strip=True, widget=forms.HiddenInput(attrs={"data-kb-shown": ""})
    )
    opened_articles = forms.CharField(
        required=False, strip=True, widget=forms.HiddenInput(attrs={"data-kb-opened": ""})
    )

    def clean_suggested_articles(self) -> str:
        return self.cleaned_data["suggested_articles"][:SHOWN_ARTICLES_MAX_CHARS]

    def clean_opened_articles(self) -> str:
        return self.cleaned_data["opened_articles"][:SHOWN_ARTICLES_MAX_CHARS]

    def __init__(self, *args, user, pending=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = pending
        organisations = organisations_for_user(user).order_by("name")
        self.fields["organisation"].queryset = organisations
        if user.organisation_id and "organisation" not in self.initial:
            self.initial["organisation"] = user.organisation_id
        self.initial.setdefault("requested_by", user.get_full_name())
        self.fields["category"].queryset = Category.objects.filter(active=True)
        self.fields["no_party_id"].widget.attrs["data-disables"] = self["party_id"].auto_id

    @property
    def pending(self) -> list:
        return self._pending

    @pending.setter
    def pending(self, files) -> None:
        """The kept files; the attachments field counts them and says they are attached."""
        self._pending = list(files)
        field = self.fields["attachments"]
        field.already_kept = len(self._pending)
        field.help_text = (
            ATTACHMENTS_KEPT_HELP
            if self._pending
            else type(self).base_fields["attachments"].help_text
        )
        # A bound field copies its help text when first made (validation makes them).
        self._bound_fields_cache.pop("attachments", None)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "organisation": data["organisation"],
            "category": data["category"],
            "short_description": data["short_description"],
            "description": data["description"],
            "party_id": data["party_id"],
            "no_party_id": data["no_party_id"],
            "unregistered_organisation_name": data["unregistered_organisation_name"],
            "market_participant_id": data["market_participant_id"],
            "cra_market_role": data["cra_market_role"],
            "related_url": data["related_url"],
            "mpan": data["mpan"],
            "requested_by": data["requested_by"],
            "uploads": data["attachments"],
            "pending_uploads": self.pending,
        }


class CaseCommentForm(DomainErrorFormMixin, forms.Form):
    drawn_once = True  # nothing per request: blank, drawn once (core.forms.field_block)
    prefix = "comment"

    body = forms.CharField(
        label="Add a comment",
        max_length=COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The service desk sees this straight away and replies here and by email.",
        error_messages={"required": "Write your comment before adding it."},
    )


class CaseAttachmentForm(DomainErrorFormMixin, forms.Form):
    drawn_once = True  # nothing per request: blank, drawn once (core.forms.field_block)
    prefix = "attach"
    service_field_names = {"file": "files"}

    files = MultipleFileField(
        label="Add files",
        help_text="PDF, PNG, JPEG, GIF, ZIP, DOCX, XLSX or text; up to 10 files at a time.",
        error_messages={"required": "Choose at least one file to attach."},
    )


class CaseRejectForm(DomainErrorFormMixin, forms.Form):
    """The caller says "it is not fixed"; the reason is required and becomes a comment (§10.3)."""

    drawn_once = True  # nothing per request: blank, drawn once (core.forms.field_block)
    prefix = "reject"
    service_field_names = {"note": "reason"}

    reason = forms.CharField(
        label="What is still wrong?",
        max_length=COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Tell the desk why the resolution did not work; the case reopens.",
        error_messages={"required": "Say why the resolution did not work."},
    )


class CaseListFilterForm(forms.Form):
    """The My Cases filter and order; never invalid, unknown values are ignored. Its choices
    are the same for everyone (`case_state_filter_choices`, `CASE_SORT_CHOICES`), so blank it
    is drawn once (`core.forms.field_control`). The order is also offered by the column
    headings; the select serves a phone, whose table shows no headings."""

    drawn_once = True

    state = forms.ChoiceField(label="Status", required=False)
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=160,
        widget=forms.SearchInput(),
        help_text="A case number or words from the subject.",
    )
    sort = forms.ChoiceField(label="Order", required=False, choices=CASE_SORT_CHOICES)

    def __init__(self, *args, state_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = state_choices

    def values(self) -> tuple[str, str, str]:
        """(state, search, order), each "" when not given or not one of the choices."""
        if self.is_valid():
            data = self.cleaned_data
            return data["state"], data["q"].strip(), data["sort"]
        return (
            self.cleaned_data.get("state", ""),
            (self.data.get("q") or "")[:160].strip(),
            self.cleaned_data.get("sort", ""),
        )


def case_create_initial(params) -> dict:
    """Initial values for the raise-case form from its address (`?subject=&description=`),
    so another page — an article's "Is something missing?" link, "Request a new article"
    (§11.2) — can open it pre-filled. Only these two fields; each trimmed to the field's limit,
    control characters (but line breaks) dropped; anything else in the address is ignored."""
    initial = {}
    for name, field, limit in (
        ("subject", "short_description", SUBJECT_MAX_CHARS),
        ("description", "description", DESCRIPTION_MAX_CHARS),
    ):
        value = params.get(name)
        if not isinstance(value, str):
            continue
        value = "".join(ch for ch in value if ch.isprintable() or ch in "\r\n")[:limit].strip()
        if value:
            initial[field] = value
    return initial
