"""Admin forms: limits entered in the notation staff type; the reasons decisive changes need."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from limits.notation import NotationError, ParsedLimit, format_parsed, parse_notation
from limits.units import as_written
from standards import establishments
from standards.models import (
    CatalogueEntry,
    ClauseMapping,
    CorrectiveAction,
    Establishment,
    EstablishmentActivity,
    Finding,
    Limit,
    Milestone,
    Parameter,
    SiteVisit,
    ZoneDecision,
)
from standards.versioning import VersionedForm

# A combined "≥70 °C for ≥30 min" sets a temperature and a time: the time goes to this
# parameter as a second limit on the same clause.
TIME_PARAMETER = "holding-time"

# The fields of a limit besides its clause, parameter, note and position.
FIGURE_FIELDS = [
    "kind",
    "value",
    "upper_value",
    "unit",
    "strict",
    "basis",
    "qualifier",
    "matrix",
    "plan_n",
    "plan_c",
    "plan_m",
    "plan_big_m",
]

PARSED_FIELDS = {
    "kind": "kind",
    "value": "value",
    "upper": "upper_value",
    "unit": "unit",
    "strict": "strict",
    "n": "plan_n",
    "c": "plan_c",
    "m": "plan_m",
    "big_m": "plan_big_m",
}


class WrittenDecimalField(forms.DecimalField):
    """A decimal shown as written ("0.5"), not with the column's twelve places."""

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return as_written(value)
        return value


# The sampling plan's two thresholds, told apart by more than the letter's case.
PLAN_LABELS = {
    "plan_m": (
        _("m (lower threshold)"),
        _(
            "m: the figure at or below which a sample unit is acceptable; up to c units "
            "may lie between m and M."
        ),
    ),
    "plan_big_m": (
        _("M (upper threshold)"),
        _("M (capital): the figure no sample unit may exceed."),
    ),
}


def notation_of(limit):
    """The canonical notation of a saved limit's figures (without basis or matrix)."""
    return format_parsed(
        ParsedLimit(**{parsed: getattr(limit, field) for parsed, field in PARSED_FIELDS.items()})
    )


class LimitForm(VersionedForm):
    notation = forms.CharField(
        label=_("Notation"),
        required=False,
        max_length=200,
        help_text=_(
            "Type the limit as written, e.g. “≤ 0.5 mg/kg”, “1×10⁵ КОЕ/г”, “не допускается в "
            "25 г”, “不得检出/25g”, “n=5, c=2, m=10^4, M=10^5 CFU/g”, “−1.5…+4 °C”, “≥70 °C for "
            "≥30 min”. It fills the kind, figures, unit and sampling plan."
        ),
    )

    FIGURE_FIELDS = FIGURE_FIELDS

    class Meta:
        model = Limit
        field_classes = {
            name: WrittenDecimalField for name in ("value", "upper_value", "plan_m", "plan_big_m")
        }
        fields = [
            "clause",
            "parameter",
            *FIGURE_FIELDS,
            "note",
            "evidence",
            "evidence_note",
            "position",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.extra_limits = []
        if self.instance.pk:
            self.fields["notation"].initial = notation_of(self.instance)
        # Figures may come from the notation alone.
        self.fields["kind"].required = False
        for name, (label, help_text) in PLAN_LABELS.items():
            self.fields[name].label = label
            self.fields[name].help_text = help_text

    def clean(self):
        cleaned = super().clean()
        if "notation" not in self.changed_data or not cleaned.get("notation"):
            if not cleaned.get("kind"):
                self.add_error("kind", _("Choose a kind or type the limit as a notation."))
            return cleaned
        try:
            parsed = parse_notation(cleaned["notation"])
        except NotationError as exc:
            self.add_error("notation", forms.ValidationError(exc.message, code=exc.code))
            return cleaned
        first, *rest = parsed
        for attr, field in PARSED_FIELDS.items():
            cleaned[field] = getattr(first, attr)
        for extra in rest:
            parameter = Parameter.objects.filter(key=TIME_PARAMETER).first()
            if parameter is None:
                self.add_error(
                    "notation",
                    forms.ValidationError(
                        _("Enter the time as a second limit: there is no “%(key)s” parameter.")
                        % {"key": TIME_PARAMETER},
                        code="no_time_parameter",
                    ),
                )
                return cleaned
            self.extra_limits.append((parameter, extra))
        return cleaned

    def save_extra_limits(self, clause):
        """Create the second limit of a combined notation, next to the saved one."""
        for parameter, parsed in self.extra_limits:
            Limit.objects.create(
                clause=clause,
                parameter=parameter,
                position=(self.instance.position or 0) + 1,
                qualifier=self.instance.qualifier,
                matrix=self.instance.matrix,
                evidence=self.instance.evidence,
                evidence_note=self.instance.evidence_note,
                **{field: getattr(parsed, attr) for attr, field in PARSED_FIELDS.items()},
            )
        self.extra_limits = []


class ReasonedForm(VersionedForm):
    """An edit form whose decisive fields (`decisive`) need a reason when they change:
    the subclass declares `change_reason`, which the history keeps with the change."""

    decisive = ()

    def clean(self):
        cleaned = super().clean()
        changed = set(self.decisive) & set(self.changed_data)
        if self.instance.pk and changed and not cleaned.get("change_reason", "").strip():
            model = self._meta.model
            names = sorted(str(model._meta.get_field(f).verbose_name) for f in changed)
            self.add_error(
                "change_reason",
                forms.ValidationError(
                    _("Say why the %(fields)s changed.") % {"fields": _(" and ").join(names)},
                    code="reason_required",
                ),
            )
        return cleaned


def _reason_field(help_text):
    return forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=help_text,
    )


class MappingForm(ReasonedForm):
    """A mapping in the admin: a change of status or alignment must say why."""

    decisive = ("status", "alignment")
    change_reason = _reason_field(
        _("Required when the status or the alignment changes; kept in the history with the change.")
    )

    class Meta:
        model = ClauseMapping
        fields = "__all__"


class MilestoneForm(ReasonedForm):
    """A milestone in the admin: a change of status or target date must say why (a
    slip keeps its history, with the reason)."""

    decisive = ("status", "target_date")
    change_reason = _reason_field(
        _(
            "Required when the status or the target date changes; kept in the history "
            "with the change."
        )
    )

    class Meta:
        model = Milestone
        fields = "__all__"


class EstablishmentForm(ReasonedForm):
    """An establishment in the admin: its activities and products ticked from their
    choices, and a change of status, of the day it took effect or of the listing date
    (which moves the expiry) must say why. A new status is kept in the status history
    with the reason, the day, the evidence and the citation."""

    decisive = ("status", "status_since", "listing_date")
    activities = forms.MultipleChoiceField(
        label=_("Activities"),
        required=False,
        choices=EstablishmentActivity.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    products = forms.MultipleChoiceField(
        label=_("Products"),
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
    )
    change_reason = _reason_field(
        _(
            "Required when the status, the day it took effect or the listing date "
            "changes; kept in the history and the status history with the change."
        )
    )

    class Meta:
        model = Establishment
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].choices = establishments.product_choices()
        for name in ("activities", "products"):
            self.initial[name] = str(getattr(self.instance, name) or "").split()

    def clean_activities(self):
        return establishments.check_activities(" ".join(self.cleaned_data["activities"]))

    def clean_products(self):
        return establishments.check_products("\n".join(self.cleaned_data["products"]))


class SiteVisitForm(ReasonedForm):
    """A site visit in the admin: a change of status or of what is known of its findings
    must say why."""

    decisive = ("status", "findings_state")
    change_reason = _reason_field(
        _("Required when the status or the findings change; kept in the history with the change.")
    )

    class Meta:
        model = SiteVisit
        fields = "__all__"


class FindingForm(ReasonedForm):
    """A finding in the admin: a change of severity must say why."""

    decisive = ("severity",)
    change_reason = _reason_field(
        _("Required when the severity changes; kept in the history with the change.")
    )

    class Meta:
        model = Finding
        fields = "__all__"


class CorrectiveActionForm(ReasonedForm):
    """A corrective action in the admin: a change of status or deadline must say why."""

    decisive = ("status", "deadline")
    change_reason = _reason_field(
        _("Required when the status or the deadline changes; kept in the history with the change.")
    )

    class Meta:
        model = CorrectiveAction
        fields = "__all__"


class ZoneDecisionForm(ReasonedForm):
    """A zone decision in the admin: a change of its kind, dates or lifting must say why
    (it changes what is open)."""

    decisive = ("kind", "disease", "decided_on", "year", "lifted_on")
    change_reason = _reason_field(
        _(
            "Required when the kind, disease, date or lifting changes; kept in the history "
            "with the change."
        )
    )

    class Meta:
        model = ZoneDecision
        fields = "__all__"


class CatalogueEntryForm(ReasonedForm):
    """A catalogue entry in the admin: a change of status, zones or dates must say why."""

    decisive = ("status", "zones", "effective_on", "closing_on")
    change_reason = _reason_field(
        _(
            "Required when the status, the permitted zones or the dates change; kept in the "
            "history with the change."
        )
    )

    class Meta:
        model = CatalogueEntry
        fields = "__all__"
