"""What a gap report includes: the selection form, the validated selection with its
canonical query string, and the mappings it selects (ClauseMapping.objects.matching, the
same filters as the comparison page)."""

from urllib.parse import urlencode

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from standards.forms import MappingFilterFields
from standards.models import ClauseMapping, Confidence, Standard, Topic
from standards.notes import AUDIENCES, SHARED, audiences_for

REPORT_LANGUAGES = [("en", "English"), ("ru", "Русский"), ("kk", "Қазақ"), ("zh-hans", "简体中文")]


class LanguageAndAudience(forms.Form):
    """The report language and the classification (audience) every report of the portal
    takes: the gap report and the market-access report. `user`: the requester, who may
    choose only the audiences allowed to them (standards/notes.py); None (the report
    worker) accepts every audience."""

    lang = forms.ChoiceField(
        label=_("Language of the report"), choices=REPORT_LANGUAGES, required=False, initial="en"
    )
    audience = forms.ChoiceField(
        label=_("Classification"),
        choices=list(AUDIENCES.items()),
        required=False,
        initial=SHARED,
        help_text=_(
            "A report for the joint working group carries shared notes only; an internal "
            "report also carries your delegation's internal notes."
        ),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None:
            self.fields["audience"].choices = audiences_for(user)


class ReportForm(LanguageAndAudience, MappingFilterFields):
    """The selection of a gap report; a GET form, so a report is a bookmarkable URL."""

    standard = forms.ModelMultipleChoiceField(
        label=_("Documents"),
        required=False,
        queryset=Standard.objects.order_by("code"),
        to_field_name="key",
        widget=forms.CheckboxSelectMultiple,
    )
    q = forms.CharField(label=_("Search text"), required=False, max_length=200)
    gaps = forms.TypedChoiceField(
        label=_("Which mappings"),
        choices=[
            ("1", _("Gaps only: not yet equivalent or harmonized")),
            ("0", _("Every mapping of the selection")),
        ],
        coerce=lambda value: value == "1",
        initial="1",
        required=False,
        empty_value=True,
    )
    lang2 = forms.ChoiceField(
        label=_("Second language (a two-language report)"),
        choices=[("", _("— none: one language —")), *REPORT_LANGUAGES],
        required=False,
        help_text=_(
            "The two languages side by side, as bilateral documents are: every heading and "
            "label in both, each text in both."
        ),
    )
    originals = forms.BooleanField(label=_("Include the original-language texts"), required=False)
    notes = forms.BooleanField(label=_("Include the negotiation notes"), required=False)

    as_of = forms.CharField(
        label=_("As of a baseline"),
        required=False,
        max_length=20,
        help_text=_(
            "Empty: the data as it is now. A baseline (round-3, or round-3.2 for a "
            "correction): the data as it stood when that round was closed."
        ),
    )

    def clean_as_of(self):
        from standards.baselines import BadMoment, baseline_for

        label = self.cleaned_data.get("as_of", "").strip()
        if not label:
            return None
        try:
            return baseline_for(label)
        except BadMoment as refused:
            raise forms.ValidationError(str(refused), code="bad_baseline") from None

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("as_of") and cleaned.get("q"):
            self.add_error(
                "q",
                _(
                    "A report as of a baseline selects by its filters; the text search "
                    "reads today's texts only. Leave the search empty."
                ),
            )
        if cleaned.get("lang2") and cleaned.get("lang2") == (cleaned.get("lang") or "en"):
            self.add_error("lang2", _("Choose a second language other than the first."))
        return cleaned

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.form_id = "report-form"
        self.helper.layout = Layout(
            Row(
                Column("product", css_class="col-md-3"),
                Column("gaps", css_class="col-md-5"),
                Column("lang", "lang2", css_class="col-md-4"),
            ),
            Row(
                Column("topic", css_class="col-md-3"),
                Column("alignment", css_class="col-md-3"),
                Column("status", css_class="col-md-3"),
                Column("standard", css_class="col-md-3 choice-scroll"),
            ),
            Row(Column("confidence", css_class="col-md-3"), Column("as_of", css_class="col-md-3")),
            Row(
                Column("q", css_class="col-md-6"),
                Column("originals", "notes", css_class="col-md-3"),
                Column("audience", css_class="col-md-3"),
            ),
            StrictButton(_("Show the report"), type="submit", css_class="btn-primary"),
        )


class Selection:
    """A validated report selection with a canonical query string."""

    def __init__(self, cleaned):
        self.product = sorted(cleaned.get("product") or [])
        self.topic = sorted(cleaned.get("topic") or [])
        self.alignment = sorted(cleaned.get("alignment") or [])
        self.status = sorted(cleaned.get("status") or [])
        self.confidence = sorted(cleaned.get("confidence") or [])
        self.standards = sorted(cleaned.get("standard") or [], key=lambda s: s.key)
        self.q = (cleaned.get("q") or "").strip()
        gaps = cleaned.get("gaps")
        self.gaps = True if gaps is None else bool(gaps)
        self.lang = cleaned.get("lang") or "en"
        self.lang2 = cleaned.get("lang2") or ""
        self.originals = bool(cleaned.get("originals"))
        self.notes = bool(cleaned.get("notes"))
        self.audience = cleaned.get("audience") or SHARED
        self.baseline = cleaned.get("as_of")  # a Baseline, or None: the data now

    @property
    def languages(self):
        """The report's languages: one, or two side by side."""
        return [self.lang, self.lang2] if self.lang2 else [self.lang]

    @property
    def classification(self):
        """The mark on the report's cover and in its footer."""
        return AUDIENCES[self.audience]

    def params(self, moment=True):
        """The selection as query parameters; `moment=False` leaves out the baseline
        (the fingerprint's form: a report as of round 3 is the report made then)."""
        params = [("product", v) for v in self.product]
        params += [("topic", v) for v in self.topic]
        params += [("alignment", v) for v in self.alignment]
        params += [("status", v) for v in self.status]
        params += [("confidence", v) for v in self.confidence]
        params += [("standard", s.key) for s in self.standards]
        if self.q:
            params.append(("q", self.q))
        params.append(("gaps", "1" if self.gaps else "0"))
        params.append(("lang", self.lang))
        if self.lang2:
            params.append(("lang2", self.lang2))
        if self.originals:
            params.append(("originals", "on"))
        if self.notes:
            params.append(("notes", "on"))
        if self.audience != SHARED:
            params.append(("audience", self.audience))
        if moment and self.baseline is not None:
            params.append(("as_of", self.baseline.label))
        return params

    def query_string(self, moment=True):
        return urlencode(self.params(moment))

    def mappings(self):
        """Today's mappings of the selection (a queryset); `included_mappings` gives
        those of a report, as of its baseline."""
        return ClauseMapping.objects.matching(
            product=self.product,
            topic=self.topic,
            status=self.status,
            alignment=self.alignment,
            confidence=self.confidence,
            standard=self.standards,
            q=self.q,
            gaps_only=self.gaps,
        )

    def included_mappings(self):
        """The mappings of the selection ready for a report (ClauseMapping.for_list()'s
        form), ordered by topic and key: today's, or as they stood at the baseline."""
        if self.baseline is None:
            return list(self.mappings().for_list().order_by("topic", "key"))
        return self._mappings_at_baseline()

    def _narrow(self, rows):
        """The selection's filters on the mappings' own fields, on their history rows."""
        from standards.models import filter_by_fields

        return filter_by_fields(
            rows,
            product=self.product,
            topic=self.topic,
            status=self.status,
            alignment=self.alignment,
            confidence=self.confidence,
            gaps_only=self.gaps,
        )

    def _mappings_at_baseline(self):
        from standards.baselines import mappings_at

        mappings = mappings_at(self.baseline.taken_at, narrow=self._narrow)
        if self.standards:  # citing one of them on any side, as `matching` selects
            wanted = {s.pk for s in self.standards}
            mappings = [
                m
                for m in mappings
                if any(c.standard_id in wanted for c in (*m.kz_side, *m.cn_side, *m.reference_side))
            ]
        return mappings

    def count(self):
        """The number of mappings of the selection (today's, or at the baseline)."""
        if self.baseline is None:
            return self.mappings().count()
        if not self.standards:  # the mappings' own fields alone: one COUNT
            from standards.baselines import state_rows

            return self._narrow(state_rows(ClauseMapping, self.baseline.taken_at)).count()
        return len(self._mappings_at_baseline())

    def describe(self):
        """The filters in words, in the active language."""
        words = []
        if self.baseline is not None:
            words.append(
                (
                    _("Baseline"),
                    _("%(baseline)s: the data as they stood when the round was closed")
                    % {"baseline": self.baseline.title},
                )
            )

        def labels(values, choices):
            # In the choices' declared order, not the canonical (sorted) order of codes.
            return ", ".join(str(label) for value, label in choices if value in values)

        words.append(
            (
                _("Product groups"),
                labels(self.product, ClauseMapping.ProductGroup.choices) or _("all"),
            )
        )
        words.append((_("Topics"), labels(self.topic, Topic.choices) or _("all")))
        words.append(
            (_("Alignments"), labels(self.alignment, ClauseMapping.Alignment.choices) or _("all"))
        )
        words.append(
            (
                _("Negotiation statuses"),
                labels(self.status, ClauseMapping.Status.choices) or _("all"),
            )
        )
        if self.confidence:
            words.append((_("Source confidence"), labels(self.confidence, Confidence.choices)))
        if self.standards:
            words.append((_("Documents"), ", ".join(s.code for s in self.standards)))
        if self.q:
            words.append((_("Search text"), self.q))
        words.append(
            (
                _("Which mappings"),
                _("gaps only (not yet equivalent or harmonized)") if self.gaps else _("all"),
            )
        )
        return words


def selection_from(query, user=None):
    """(form, Selection or None). With `user`, an audience they may not choose is a form
    error (400), never a report."""
    form = ReportForm(query, user=user)
    if not form.is_valid():
        return form, None
    return form, Selection(form.cleaned_data)
