"""The markup of a mapping's badges, clause texts, limits table and verdicts: the one
source for the comparison rows, the pair page, the dashboard and the reports (through
the template tags in standards/templatetags/portal.py).

The comparison page lists up to 1,000 mappings with both sides' texts and limits. Through
the template engine that costs several seconds (variable resolution and a translation
lookup per label per row); here labels are translated once per language and each row is
joined from escaped strings.
"""

from functools import lru_cache
from html import escape, unescape

from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from limits.compare import ABSENCE_UNCHECKED, CN, KZ, NOT_READ, SECONDARY
from limits.notation import format_number
from standards.models import ClauseMapping, Topic
from standards.translated import MISSING, OFFICIAL, WORKING, translated
from standards.wording import parameter_name, parameters_of, text


def translated_html(obj, field, language=None, tag="span", css="", data="", hidden=""):
    """`obj`'s `field` for the reader (standards.translated) in a `tag` element carrying
    the text's real language, with † after a working translation (the one markup of
    translated texts, on pages, reports and the comparison). `data` is a data-text
    attribute's value, `hidden` " hidden" for an element shown by a toggle."""
    text = translated(obj, field, language)
    css_attribute = f' class="{css}"' if css else ""
    data_attribute = f' data-text="{data}"' if data else ""
    return (
        f'<{tag}{css_attribute}{data_attribute} lang="{text.html_lang}"{hidden}>'
        f"{_e(text.text)}{working_mark(text, field)}</{tag}>"
    )


def working_mark(text, field):
    """† for a working translation: a translated text, or the English working text of a
    clause whose original is in another language."""
    if text.status == WORKING or (text.status == MISSING and field == "text"):
        title = _e(_("Working translation, not an official text"))
        return f'<abbr class="wt-mark" title="{title}">†</abbr>'
    return ""


def _e(value):
    return escape(str(value), quote=True)


# Words of the rationale a comparison row shows; the pair page shows all of it.
RATIONALE_WORDS = 60


def renderer(show_original=False):
    """The renderer of the active language (labels translated once per language)."""
    return _renderer(get_language() or "en", show_original)


@lru_cache(maxsize=32)
def _renderer(language, show_original):
    return RowRenderer(show_original, language)


class RowRenderer:
    def __init__(self, show_original, language):
        self.show_original = show_original
        self.language = language
        self.pair_url = reverse("standards:mapping-detail", args=["KEY"]).replace("KEY", "{}")
        self.standard_url = reverse("standards:standard-detail", args=["KEY"]).replace("KEY", "{}")
        self.label = {
            "alignment": _e(_("Alignment")),
            "status": _e(_("Status")),
            "original": _e(_("Original text")),
            "kz": _e(_("Kazakhstan / EAEU")),
            "cn": _e(_("China")),
            "no_kz": _e(_("No Kazakh requirement")),
            "no_cn": _e(_("No Chinese requirement")),
            "superseded": _e(_("superseded")),
            "needs_review": _e(_("Needs re-review")),
            "rationale": _e(_("Rationale")),
            "caption": _e(_("Limits set by each side, compared")),
            "parameter": _e(_("Parameter")),
            "kazakhstan": _e(_("Kazakhstan")),
            "comparison": _e(_("Comparison")),
            "computed": _e(_("Computed from the limits")),
            "differs": _e(_("differs from the recorded alignment")),
            "suggests": _e(_("no alignment recorded yet")),
            "agrees": _e(_("agrees with the recorded alignment")),
            "not_comparable": _e(_("Not comparable")),
            # %-templates of escaped parts: the verdict and why it is not firmer.
            "provisional": _e(_("provisional: %(verdict)s (%(why)s)")),
            "provisional_plain": _e(_("provisional: %(verdict)s")),
            "qualified": _e(_("%(verdict)s (%(why)s)")),
        }
        self.unchecked = {
            KZ: _e(_("No Kazakh figure found (not checked)")),
            CN: _e(_("No Chinese figure found (not checked)")),
        }
        self.weak = {
            (KZ, SECONDARY): _e(_("the Kazakh figure comes from a secondary source")),
            (CN, SECONDARY): _e(_("the Chinese figure comes from a secondary source")),
            (KZ, NOT_READ): _e(_("the Kazakh figure was not read in the legal text")),
            (CN, NOT_READ): _e(_("the Chinese figure was not read in the legal text")),
            (KZ, ABSENCE_UNCHECKED): _e(_("the Kazakh absence of a figure was not checked")),
            (CN, ABSENCE_UNCHECKED): _e(_("the Chinese absence of a figure was not checked")),
        }
        self.alignments = {v: _e(label) for v, label in ClauseMapping.Alignment.choices}
        self.statuses = {v: _e(label) for v, label in ClauseMapping.Status.choices}
        self.groups = {v: _e(label) for v, label in ClauseMapping.ProductGroup.choices}
        self.topics = {v: _e(label) for v, label in Topic.choices}

    def verdict(self, value):
        value = getattr(value, "value", value)
        return self.alignments.get(value, self.label["not_comparable"])

    def clauses(self, clauses, empty):
        if not clauses:
            return f'<p class="gap-side p-2 mb-0">{empty}</p>'
        out = []
        hide_en = " hidden" if self.show_original else ""
        hide_original = "" if self.show_original else " hidden"
        for clause in clauses:
            standard = clause.standard
            url = f"{self.standard_url.format(standard.key)}#clause-{clause.pk}"
            superseded = (
                f' <span class="badge text-bg-secondary">{self.label["superseded"]}</span>'
                if standard.status == "superseded"
                else ""
            )
            out.append(
                f'<div class="mb-2"><p class="mb-1"><a href="{url}"><span class="fw-semibold">'
                f"{_e(standard.code)}</span> {_e(clause.reference)}</a>{superseded}</p>"
            )
            # The text in the reader's language, and the original one toggle away (the
            # same paragraph where the reader's language is the original's).
            shown = translated(clause, "text")
            css = "clause-text mb-1"
            if clause.text_original and shown.status != OFFICIAL:
                out.append(
                    translated_html(clause, "text", tag="p", css=css, data="en", hidden=hide_en)
                    + f'<p class="clause-text mb-1" data-text="original" '
                    f'lang="{_e(clause.original_language or "und")}"{hide_original}>'
                    f"{_e(clause.text_original)}</p>"
                )
            else:
                out.append(translated_html(clause, "text", tag="p", css=css, data="en"))
            out.append("</div>")
        return "".join(out)

    def badges(self, mapping):
        """The alignment and status badges of a mapping, and "needs re-review" where a
        source it was settled on changed (`needs_review`, annotated by the caller)."""
        label = self.label
        review = ""
        if getattr(mapping, "needs_review", False):
            review = f' <span class="badge badge-review">{label["needs_review"]}</span>'
        return (
            f'<span class="badge badge-alignment badge-alignment-{mapping.alignment}">'
            f"{label['alignment']}: {self.alignments[mapping.alignment]}</span> "
            f'<span class="badge badge-status badge-status-{mapping.status}">'
            f"{label['status']}: {self.statuses[mapping.status]}</span>{review}"
        )

    def amount(self, judged):
        """The verdict of a PairResult or SidesComparison in words, with its fold and
        difference, and with the evidence it rests on when that is less than the legal
        text read: "provisional: Kazakhstan stricter, 5× (the Kazakh figure was not read
        in the legal text)"."""
        result = getattr(judged, "result", judged)
        if result.code == "other_side_unchecked":
            text = self.unchecked[KZ if result.verdict == "cn_only" else CN]
        else:
            text = self.verdict(result.verdict)
        if result.fold is not None:
            text += f", {_e(format_number(result.fold))}×"
        if result.difference_message is not None:
            text += f", {_e(self.sentence(result.difference_message))}"
        elif result.difference:
            text += f", {_e(result.difference)}"
        weak = "; ".join(self.weak[inp] for inp in getattr(judged, "untold_weak_inputs", ()))
        if getattr(judged, "provisional", False):
            if not weak:
                return self.label["provisional_plain"] % {"verdict": text}
            return self.label["provisional"] % {"verdict": text, "why": weak}
        return self.label["qualified"] % {"verdict": text, "why": weak} if weak else text

    def amount_text(self, judged):
        """`amount` as plain text (for spreadsheets)."""
        return unescape(self.amount(judged))

    def sentence(self, message, parameters=None):
        """A comparison's reason (limits.wording codes) in words, not escaped."""
        return text(message, parameters)

    def limits(self, computed):
        out = []
        if computed.rows:
            label = self.label
            out.append(
                f'<table class="table table-sm mb-2 table-headers-nowrap table-cards">'
                f'<caption class="visually-hidden">{label["caption"]}</caption>'
                f'<thead><tr><th scope="col">{label["parameter"]}'
                f'</th><th scope="col">{label["kazakhstan"]}</th><th scope="col">{label["cn"]}'
                f'</th><th scope="col">{label["comparison"]}</th></tr></thead><tbody>'
            )
            parameters = parameters_of(computed)
            for pair, kz, cn in computed.rows:
                result = pair.result
                css = "" if result.verdict == "equivalent" else ' class="limit-differs"'
                parameter = parameter_name((kz or cn).parameter, self.language)
                # The notation is written in English ("not detected in 25 g").
                kz_text = f'<span class="limit-figure" lang="en">{_e(kz)}</span>' if kz else "—"
                cn_text = f'<span class="limit-figure" lang="en">{_e(cn)}</span>' if cn else "—"
                notes = "".join(
                    f'<br><span class="small">{_e(self.sentence(note, parameters))}</span>'
                    for note in result.note_messages
                )
                reason = _e(self.sentence(result.message, parameters))
                out.append(
                    f'<tr{css}><th scope="row" class="fw-normal">{_e(parameter)}</th>'
                    f'<td data-label="{label["kazakhstan"]}">{kz_text}</td>'
                    f'<td data-label="{label["cn"]}">{cn_text}</td>'
                    f'<td data-label="{label["comparison"]}"><div>'
                    f'<span class="fw-semibold">{self.amount(pair)}</span><br>'
                    f'<span class="small">{reason}</span>{notes}</div></td></tr>'
                )
            out.append("</tbody></table>")
        if computed.comparable:
            if computed.disagrees:
                css, relation = (
                    " text-danger-emphasis",
                    f"— <strong>{self.label['differs']}</strong> "
                    f"({self.alignments[computed.human]})",
                )
            elif computed.human == "not_assessed":
                css, relation = "", f"— {self.label['suggests']}"
            else:
                css, relation = "", f"— {self.label['agrees']}"
            out.append(
                f'<p class="small mb-2 computed-alignment{css}"><span class="fw-semibold">'
                f"{self.label['computed']}:</span> {self.amount(computed.result)} {relation}</p>"
            )
        return "".join(out)

    def row(self, mapping, computed):
        key = _e(mapping.key)
        label = self.label
        pressed = "true" if self.show_original else "false"
        head = (
            f'<article class="mapping-row" id="row-{key}" aria-labelledby="title-{key}">'
            f'<header class="d-flex flex-wrap align-items-center gap-2">'
            f'<h2 class="h6 mb-0 me-auto" id="title-{key}"><a href="{self.pair_url.format(key)}">'
            f"{key} · {translated_html(mapping, 'title')}</a></h2>"
            f'<span class="badge text-bg-light border">{self.groups[mapping.product_group]}</span>'
            f'<span class="badge text-bg-light border">{self.topics[mapping.topic]}</span>'
            f"{self.badges(mapping)}"
            f'<button type="button" class="btn btn-sm btn-outline-dark" data-toggle-original '
            f'aria-controls="texts-{key}" aria-pressed="{pressed}">{label["original"]}</button>'
            f"</header>"
        )
        sides = (
            f'<div class="row g-0" id="texts-{key}">'
            f'<div class="col-lg-6 side"><p class="side-label mb-1">{label["kz"]}</p>'
            f"{self.clauses(mapping.kz_side, label['no_kz'])}</div>"
            f'<div class="col-lg-6 side"><p class="side-label mb-1">{label["cn"]}</p>'
            f"{self.clauses(mapping.cn_side, label['no_cn'])}</div></div>"
        )
        tail = ""
        limits = self.limits(computed)
        if limits or mapping.rationale:
            rationale = ""
            if mapping.rationale:
                shown = translated(mapping, "rationale")
                words = shown.text.split()
                text = " ".join(words)
                if len(words) > RATIONALE_WORDS:  # Truncator's translated "…" costs a lookup
                    text = Truncator(text).words(RATIONALE_WORDS)
                rationale = (
                    f'<p class="mb-0 small"><span class="fw-semibold">{label["rationale"]}:'
                    f'</span> <span lang="{shown.html_lang}">{_e(text)}</span>'
                    f"{working_mark(shown, 'rationale')}</p>"
                )
            tail = f'<div class="px-3 pb-2">{limits}{rationale}</div>'
        return f"{head}{sides}{tail}</article>"


def render_rows(rows, show_original):
    rendering = renderer(show_original)
    return mark_safe("".join(rendering.row(mapping, computed) for mapping, computed in rows))
