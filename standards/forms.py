from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Layout, Row
from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from standards.models import (
    WATCH_TARGETS,
    ClauseMapping,
    Confidence,
    EstablishmentActivity,
    EstablishmentStatus,
    KazakhRegion,
    NegotiationNote,
    PathwaySpecies,
    ProcessingForm,
    RenewalState,
    ReviewCause,
    Round,
    Standard,
    Topic,
    Watch,
    WatchPreference,
)
from standards.notes import delegation_of, notes_for_reader
from standards.search import MAX_QUERY_LENGTH

ALL = _("All")


def _any(choices):
    return [("", ALL), *choices]


class _GetFormHelper(FormHelper):
    form_method = "get"
    form_tag = True
    disable_csrf = True


def _several(label, choices):
    """A filter that takes several values, as checkboxes."""
    return forms.MultipleChoiceField(
        label=label, required=False, choices=choices, widget=forms.CheckboxSelectMultiple
    )


class MappingFilterFields(forms.Form):
    """The filters on a mapping's own fields, each taking several values
    (`alignment=kz_only&alignment=cn_only`: either): the one parser of the comparison's
    and the gap report's selection. A value not among the choices is a form error."""

    product = _several(_("Product groups"), ClauseMapping.ProductGroup.choices)
    topic = _several(_("Topics"), Topic.choices)
    alignment = _several(_("Alignments"), ClauseMapping.Alignment.choices)
    status = _several(_("Negotiation statuses"), ClauseMapping.Status.choices)
    confidence = _several(_("Source confidence"), Confidence.choices)


class CompareFilterForm(MappingFilterFields):
    """The comparison page's filters: a GET form, so every view of it is bookmarkable."""

    SORTS = {
        "key": (_("Key"), ["key"]),
        "title": (_("Subject"), ["title", "key"]),
        "topic": (_("Topic"), ["topic", "key"]),
        "status": (_("Negotiation status"), ["status_rank", "key"]),
        "alignment": (_("Alignment"), ["alignment_rank", "key"]),
        "updated": (_("Last changed"), ["-updated_at", "key"]),
    }
    PAGE_SIZES = [25, 50, 100, 250, 1000]

    q = forms.CharField(
        label=_("Search text"),
        required=False,
        max_length=MAX_QUERY_LENGTH,
        help_text=_("Words in any language: English, Russian, Kazakh or Chinese."),
    )
    standard = forms.ModelChoiceField(
        label=_("Document"),
        required=False,
        queryset=Standard.objects.order_by("code"),
        to_field_name="key",
        empty_label=_("All"),
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[(key, label) for key, (label, _order) in SORTS.items()]
        + [
            (f"-{key}", format_lazy(_("{label}, reversed"), label=label))
            for key, (label, _order) in SORTS.items()
        ],
    )
    per_page = forms.TypedChoiceField(
        label=_("Rows per page"),
        required=False,
        coerce=int,
        empty_value=50,
        initial=50,
        choices=[(n, n) for n in PAGE_SIZES],
    )
    text = forms.ChoiceField(
        label=_("Clause text shown"),
        required=False,
        choices=[("en", _("English working text")), ("original", _("Original language"))],
    )

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and not data.get("per_page"):
            # A bookmarked URL without a page size shows (and selects) the default.
            data = data.copy()
            data["per_page"] = str(self.base_fields["per_page"].initial)
        super().__init__(data, *args, **kwargs)
        self.helper = _GetFormHelper()
        self.helper.form_id = "compare-filters"
        self.helper.layout = Layout(
            # Each select as wide as its longest option (a grid of fixed columns cut
            # off "English working text"); a row wraps where they do not fit.
            Row(
                Column("q", css_class="col-lg-4"),
                Column("product", css_class="col-sm-6 col-lg-auto"),
                Column("topic", css_class="col-sm-6 col-lg-auto"),
                Column("standard", css_class="col-sm-6 col-lg-auto"),
            ),
            Row(
                Column("status", css_class="col-sm-6 col-lg-auto"),
                Column("alignment", css_class="col-sm-6 col-lg-auto"),
                Column("confidence", css_class="col-sm-6 col-lg-auto"),
                Column("sort", css_class="col-sm-6 col-lg-auto"),
                Column("per_page", css_class="col-sm-6 col-lg-auto"),
                Column("text", css_class="col-sm-6 col-lg-auto"),
            ),
            StrictButton(_("Apply filters"), type="submit", css_class="btn-primary"),
        )

    def ordering(self):
        sort = self.cleaned_data.get("sort") or "key"
        reverse = sort.startswith("-")
        fields = self.SORTS[sort.lstrip("-")][1]
        if not reverse:
            return fields
        return [f[1:] if f.startswith("-") else f"-{f}" for f in fields]


class StandardFilterForm(forms.Form):
    jurisdiction = forms.ChoiceField(
        label=_("Jurisdiction"), required=False, choices=_any(Standard.Jurisdiction.choices)
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=_any(Standard.Kind.choices))
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_any(Standard.Status.choices)
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _GetFormHelper()
        self.helper.form_id = "standard-filters"
        self.helper.layout = Layout(
            Row(
                Column("jurisdiction", css_class="col-sm-4"),
                Column("kind", css_class="col-sm-4"),
                Column("status", css_class="col-sm-4"),
            ),
            StrictButton(_("Apply filters"), type="submit", css_class="btn-primary"),
        )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search clauses"),
        max_length=MAX_QUERY_LENGTH,
        help_text=_(
            "Searches clause references, document codes and texts in English, Russian, "
            "Kazakh and Chinese, e.g. Salmonella, сальмонелл or 沙门氏菌."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _GetFormHelper()
        self.helper.form_id = "search-form"
        self.helper.layout = Layout(
            "q", StrictButton(_("Search"), type="submit", css_class="btn-primary")
        )


class NoteChoiceField(forms.ModelChoiceField):
    """The correction picker: each earlier note by its date, side and first words."""

    PREVIEW_CHARACTERS = 80

    def label_from_instance(self, obj):
        text = " ".join(obj.text.split())
        if len(text) > self.PREVIEW_CHARACTERS:
            text = text[: self.PREVIEW_CHARACTERS - 1].rstrip() + "…"
        return f"{obj.date:%Y-%m-%d} · {obj.get_side_display()} · {obj.meeting} — {text}"


class NoteForm(forms.ModelForm):
    """A negotiation note or position on one mapping; a correction points at an earlier
    note of the same mapping that the author may read.

    Visibility (standards/notes.py): an internal note is its side's own position, so only
    a member of that side's delegation may record one, on their own side; a user with no
    delegation records shared notes. A correction keeps the visibility of the note it
    corrects, so a shared note never points into an internal one."""

    class Meta:
        model = NegotiationNote
        fields = ["side", "meeting", "round", "date", "text", "visibility", "corrects"]
        field_classes = {"corrects": NoteChoiceField}
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "text": forms.Textarea(attrs={"rows": 3}),
            "visibility": forms.RadioSelect,
        }

    def __init__(self, *args, mapping, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.mapping = mapping
        self.delegation = delegation_of(user)
        self.fields["corrects"].queryset = notes_for_reader(mapping.notes_log, user).order_by(
            "-date", "-created_at"
        )
        self.fields["corrects"].required = False
        self.fields["corrects"].empty_label = _("— a new note, not a correction —")
        self.fields["round"].required = False
        self.fields["round"].empty_label = _("— no round —")
        visibility = self.fields["visibility"]
        if self.delegation is None:
            visibility.choices = [
                c for c in visibility.choices if c[0] == NegotiationNote.Visibility.SHARED
            ]
            visibility.initial = NegotiationNote.Visibility.SHARED
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("side", css_class="col-md-3"),
                Column("meeting", css_class="col-md-5"),
                Column("date", css_class="col-md-4"),
            ),
            "round",
            "text",
            "visibility",
            "corrects",
        )

    def clean(self):
        cleaned = super().clean()
        visibility, side = cleaned.get("visibility"), cleaned.get("side")
        corrects = cleaned.get("corrects")
        if visibility == NegotiationNote.Visibility.INTERNAL and side != self.delegation:
            self.add_error(
                "visibility",
                _("An internal note records your own delegation's position: choose its side."),
            )
        if corrects is not None and visibility and corrects.visibility != visibility:
            self.add_error(
                "corrects",
                _("A correction has the visibility of the note it corrects (%(visibility)s).")
                % {"visibility": corrects.get_visibility_display()},
            )
        return cleaned


def _folded(open_when, *parts):
    """Layout parts inside a "Filters" disclosure, open when the template condition
    `open_when` holds."""
    return (
        HTML(
            f'<details class="mb-3"{{% if {open_when} %}} open{{% endif %}}>'
            '<summary class="mb-2">{% load i18n %}{% translate "Filters" %}</summary>'
        ),
        *parts,
        HTML("</details>"),
    )


class ChangesForm(forms.Form):
    """What changed between two moments (/changes/): a GET form, so a list of changes is
    a bookmarkable address. A moment is a baseline (round-3), a day or a date and time
    (standards.baselines.moment); the filters are the comparison's, several values each."""

    since = forms.CharField(
        label=_("Since"),
        max_length=40,
        help_text=_("A baseline (round-3), a day (2024-02-01) or a date and time."),
    )
    until = forms.CharField(
        label=_("Until"),
        required=False,
        max_length=40,
        help_text=_("Empty: now. A baseline, a day (up to its end) or a date and time."),
    )
    product = _several(_("Product groups"), ClauseMapping.ProductGroup.choices)
    topic = _several(_("Topics"), Topic.choices)
    status = _several(_("Negotiation statuses"), ClauseMapping.Status.choices)
    alignment = _several(_("Alignments"), ClauseMapping.Alignment.choices)
    FILTERS = ("product", "topic", "status", "alignment")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _GetFormHelper()
        self.helper.form_id = "changes-form"
        self.helper.layout = Layout(
            Row(Column("since", css_class="col-sm-6"), Column("until", css_class="col-sm-6")),
            # The filters fold away once changes are shown; a chosen filter keeps them open.
            *_folded(
                "not report or filtered",
                Row(
                    Column("product", css_class="col-sm-6 col-lg-3"),
                    Column("status", css_class="col-sm-6 col-lg-3"),
                    Column("alignment", css_class="col-sm-6 col-lg-3"),
                    Column("topic", css_class="col-sm-6 col-lg-3"),
                ),
            ),
            StrictButton(_("Show the changes"), type="submit", css_class="btn-primary"),
        )

    def _moment(self, name, end_of_day=False):
        from standards.baselines import BadMoment, moment

        value = self.cleaned_data.get(name, "").strip()
        if not value:
            return None
        try:
            return moment(value, end_of_day=end_of_day)
        except BadMoment as refused:
            raise forms.ValidationError(str(refused), code="bad_moment") from None

    def clean_since(self):
        return self._moment("since")

    def clean_until(self):
        return self._moment("until", end_of_day=True)

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until.at <= since.at:
            self.add_error("until", _("“Until” comes after “since”."))
        return cleaned

    def filters(self):
        return {name: self.cleaned_data.get(name) or [] for name in self.FILTERS}

    def query_string(self):
        """The canonical query of this list of changes, for its report links."""
        from urllib.parse import urlencode

        params = [("since", self.cleaned_data["since"].label)]
        if self.cleaned_data.get("until"):
            params.append(("until", self.cleaned_data["until"].label))
        for name in self.FILTERS:
            params += [(name, v) for v in sorted(self.cleaned_data.get(name) or [])]
        return urlencode(params)


class ClearFlagsForm(forms.Form):
    """Clearing re-review flags of one mapping: which of its open flags, and why."""

    flags = forms.ModelMultipleChoiceField(
        label=_("Flags re-reviewed"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose the flags you re-reviewed."),
            "invalid_choice": _(
                "A chosen flag is no longer open (someone cleared it in the meantime): "
                "reload the page."
            ),
            "invalid_pk_value": _("“%(pk)s” is not a flag."),
        },
    )
    reason = forms.CharField(
        label=_("Outcome of the re-review"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the re-review found, e.g. “the new edition keeps the same limit”."),
        error_messages={"required": _("Give the outcome of the re-review.")},
    )

    def __init__(self, *args, mapping, **kwargs):
        super().__init__(*args, **kwargs)
        from standards.review import open_flags

        self.fields["flags"].queryset = open_flags().filter(mapping=mapping)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the outcome of the re-review."))
        return reason


class ReviewQueueForm(forms.Form):
    """The re-review queue's filters (/review/), several values each."""

    cause = _several(_("Cause"), ReviewCause.choices)
    product = _several(_("Product group"), ClauseMapping.ProductGroup.choices)
    topic = _several(_("Topic"), Topic.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _GetFormHelper()
        # The filters fold away; a chosen filter keeps them open.
        self.helper.layout = Layout(
            *_folded(
                "form.is_bound",
                Row(
                    Column("cause", css_class="col-sm-6 col-lg-4"),
                    Column("product", css_class="col-sm-6 col-lg-4"),
                    Column("topic", css_class="col-sm-12 col-lg-4"),
                ),
                StrictButton(_("Filter"), type="submit", css_class="btn-primary"),
            )
        )


# A round's number in a form: more digits than this is no round (nor a database integer).
MAX_NUMBER_DIGITS = 9


class WatchForm(forms.Form):
    """What to watch: a kind and its target, by the key a reader sees (a mapping's key,
    a topic's code, a standard's key, a round's number)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Watch.Kind.choices)
    # Every kind but market access names its target.
    target = forms.CharField(label=_("What"), max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        cleaned = super().clean()
        kind, target = cleaned.get("kind"), (cleaned.get("target") or "").strip()
        if kind == Watch.Kind.MARKET:
            cleaned["values"] = {"kind": kind}
            return cleaned
        if not kind:
            return cleaned
        if not target:
            self.add_error(
                "target", forms.ValidationError(_("Say what to watch."), code="required")
            )
            return cleaned
        found = self._target(kind, target)
        if found is None:
            raise forms.ValidationError(
                _("Nothing of that kind is called “%(target)s”."),
                code="unknown_target",
                params={"target": target[:60]},
            )
        cleaned["values"] = {"kind": kind, WATCH_TARGETS[kind]: found}
        return cleaned

    @staticmethod
    def _target(kind, target):
        if "\x00" in target:
            return None
        if kind == Watch.Kind.TOPIC:
            return target if target in Topic.values else None
        if kind == Watch.Kind.ROUND:
            number = target.isascii() and target.isdigit() and len(target) <= MAX_NUMBER_DIGITS
            return Round.objects.filter(number=int(target)).first() if number else None
        model, field = {
            Watch.Kind.MAPPING: (ClauseMapping, "key"),
            Watch.Kind.STANDARD: (Standard, "key"),
        }[kind]
        return model.objects.filter(**{field: target}).first()


class WatchPreferenceForm(forms.ModelForm):
    class Meta:
        model = WatchPreference
        fields = ["frequency", "email", "language"]
        labels = {
            "frequency": _("How often"),
            "email": _("Also send them by email"),
            "language": _("Language of the messages"),
        }


class EstablishmentFilterForm(forms.Form):
    """The register's filters: a GET form, so every view of it is bookmarkable."""

    DUE = "due"  # any renewal state

    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=_any(KazakhRegion.choices)
    )
    activity = forms.ChoiceField(
        label=_("Activity"), required=False, choices=_any(EstablishmentActivity.choices)
    )
    species = forms.ChoiceField(
        label=_("Species"), required=False, choices=_any(PathwaySpecies.choices)
    )
    processing = forms.ChoiceField(
        label=_("Processing form"),
        required=False,
        choices=_any([(v, label) for v, label in ProcessingForm.choices if v]),
    )
    status = forms.ChoiceField(
        label=_("Status today"), required=False, choices=_any(EstablishmentStatus.choices)
    )
    renewal = forms.ChoiceField(
        label=_("Renewal"),
        required=False,
        choices=_any([(DUE, _("Due (any of the below)")), *RenewalState.choices]),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _GetFormHelper()
        self.helper.form_id = "establishment-filters"
        self.helper.layout = Layout(
            Row(
                Column("region", css_class="col-sm-6 col-lg-2"),
                Column("activity", css_class="col-sm-6 col-lg-2"),
                Column("species", css_class="col-sm-6 col-lg-2"),
                Column("processing", css_class="col-sm-6 col-lg-2"),
                Column("status", css_class="col-sm-6 col-lg-2"),
                Column("renewal", css_class="col-sm-6 col-lg-2"),
            ),
            StrictButton(_("Apply filters"), type="submit", css_class="btn-primary"),
        )
