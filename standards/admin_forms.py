"""Admin forms: limits entered in the notation staff type."""

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from limits.notation import NotationError, ParsedLimit, format_parsed, parse_notation
from standards.history import changes_since
from standards.models import ClauseMapping, Limit, Parameter

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


def notation_of(limit):
    """The canonical notation of a saved limit's figures (without basis or matrix)."""
    return format_parsed(
        ParsedLimit(**{parsed: getattr(limit, field) for parsed, field in PARSED_FIELDS.items()})
    )


class LimitForm(forms.ModelForm):
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


class MappingForm(forms.ModelForm):
    """A mapping in the admin: a change of status or alignment must say why."""

    change_reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Required when the status or the alignment changes; kept in the history with "
            "the change."
        ),
    )

    loaded_version = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = ClauseMapping
        fields = "__all__"  # noqa: DJ007 (the admin fieldsets choose what is shown)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.updated_at.isoformat()

    def clean(self):
        cleaned = super().clean()
        self._check_not_changed_meanwhile(cleaned.get("loaded_version"))
        decisive = {"status", "alignment"} & set(self.changed_data)
        if self.instance.pk and decisive and not cleaned.get("change_reason", "").strip():
            self.add_error(
                "change_reason",
                forms.ValidationError(
                    _("Say why the %(fields)s changed.")
                    % {
                        "fields": _(" and ").join(
                            sorted(
                                str(ClauseMapping._meta.get_field(f).verbose_name) for f in decisive
                            )
                        )
                    },
                    code="reason_required",
                ),
            )
        return cleaned

    def _check_not_changed_meanwhile(self, loaded):
        """Optimistic locking: refuse to save over a change made since the form was opened,
        and say what the other person changed."""
        if not self.instance.pk or not loaded:
            return
        rows = ClauseMapping.objects.filter(pk=self.instance.pk)
        if transaction.get_connection().in_atomic_block:
            # The admin validates and saves in one transaction: locking the row here makes
            # the check and the save one step, so two saves at the same instant cannot
            # both pass the check (the second waits, then sees the first one's change).
            rows = rows.select_for_update()
        current = rows.values_list("updated_at", flat=True).first()
        if current is None or current.isoformat() == loaded:
            return
        who, fields = changes_since(self.instance, loaded, ClauseMapping)
        raise forms.ValidationError(
            _(
                "Someone else saved this mapping after you opened it (%(who)s, changing: "
                "%(fields)s). Nothing was saved. Open the mapping again to see their "
                "changes, then make yours."
            )
            % {
                "who": ", ".join(who) or _("another user"),
                "fields": ", ".join(fields) or _("the record"),
            },
            code="changed_meanwhile",
        )
