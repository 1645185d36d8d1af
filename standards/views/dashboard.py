from collections import Counter, defaultdict
from urllib.parse import urlencode

from django.db.models import Count, F, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from standards.charts import (
    ALIGNMENT_COLOURS,
    STATUS_COLOURS,
    shared_label_width,
    stacked_bars,
)
from standards.establishments import renewals_due
from standards.models import ActionItem, ClauseMapping, Limit, Round, Topic
from standards.pathways import measure, pathways_measured, timeline_svg
from standards.views import reader_required
from standards.visits import overdue_actions

Status = ClauseMapping.Status
Alignment = ClauseMapping.Alignment
SETTLED = (Status.AGREED, Status.HARMONIZED, Status.NO_ACTION)
OPEN = (Status.NOT_STARTED, Status.TECHNICAL_REVIEW, Status.NEGOTIATION)
DIVERGENT = (
    Alignment.KZ_ONLY,
    Alignment.CN_ONLY,
    Alignment.KZ_STRICTER,
    Alignment.CN_STRICTER,
    Alignment.DIFFERENT,
)


# The dashboard's "gaps": a requirement on one side only.
GAPS = (Alignment.KZ_ONLY, Alignment.CN_ONLY)


def compare_url(params):
    """The comparison filtered to exactly the mappings a chart segment, a count or a card
    shows: params are (filter, value) pairs of the comparison's filters."""
    url = reverse("standards:compare")
    return f"{url}?{urlencode(params)}" if params else url


def _segments(choices, colours):
    return [(value, label, colours[value]) for value, label in choices]


def progress():
    """Counts of mappings by product group, topic, status and alignment (one query)."""
    by_group_status = defaultdict(Counter)
    by_group_alignment = defaultdict(Counter)
    by_topic_status = defaultdict(Counter)
    totals = Counter()
    rows = ClauseMapping.objects.values("product_group", "topic", "status", "alignment")
    for row in rows.annotate(n=Count("pk")).order_by():
        n = row["n"]
        by_group_status[row["product_group"]][row["status"]] += n
        by_group_alignment[row["product_group"]][row["alignment"]] += n
        by_topic_status[row["topic"]][row["status"]] += n
        totals["all"] += n
        totals["gaps"] += n if row["alignment"] in GAPS else 0
        totals["settled"] += n if row["status"] in SETTLED else 0
    return by_group_status, by_group_alignment, by_topic_status, totals


def dashboard_context():
    """Everything the dashboard shows: three charts (with their figures as tables), the
    totals, the recently changed mappings and the gaps most in need of action."""
    by_group_status, by_group_alignment, by_topic_status, totals = progress()
    groups = [(v, label) for v, label in ClauseMapping.ProductGroup.choices if v in by_group_status]
    # Every topic the comparison's filters offer, with or without mappings yet.
    topics = list(Topic.choices)
    status_segments = _segments(Status.choices, STATUS_COLOURS)
    alignment_segments = _segments(Alignment.choices, ALIGNMENT_COLOURS)
    charts = [
        (
            "chart-group-status",
            _("Negotiation status by product group"),
            [(label, by_group_status[v], ("product", v)) for v, label in groups],
            ("status", status_segments),
        ),
        (
            "chart-group-alignment",
            _("Alignment by product group"),
            [(label, by_group_alignment[v], ("product", v)) for v, label in groups],
            ("alignment", alignment_segments),
        ),
        (
            "chart-topic-status",
            _("Negotiation status by topic"),
            [(label, by_topic_status[v], ("topic", v)) for v, label in topics],
            ("status", status_segments),
        ),
    ]
    # One label width for all three charts, so that their bars line up.
    width = shared_label_width(
        *([(label, counts) for label, counts, _row in rows] for _id, _t, rows, _s in charts)
    )
    rendered = []
    for chart_id, title, rows, (field, segments) in charts:
        links = [
            {
                "total": compare_url([row]),
                **{value: compare_url([row, (field, value)]) for value, _l, _c in segments},
            }
            for _label, _counts, row in rows
        ]
        rendered.append(
            {
                "id": chart_id,
                "title": title,
                "svg": mark_safe(
                    stacked_bars(
                        chart_id,
                        title,
                        [(label, counts) for label, counts, _row in rows],
                        segments,
                        label_width=width,
                        links=links,
                    )
                ),
                "rows": [
                    (
                        label,
                        [(counts.get(value, 0), row_links[value]) for value, _l, _c in segments],
                        sum(counts.values()),
                        row_links["total"],
                    )
                    for (label, counts, _row), row_links in zip(rows, links, strict=True)
                ],
                "segments": segments,
            }
        )
    rendered[-1]["wide"] = True
    recent = recently_changed()
    needing_action = (
        ClauseMapping.objects.filter(alignment__in=DIVERGENT, status__in=OPEN)
        .with_ranks()
        .order_by("confidence_rank", "status_rank", F("target_date").asc(nulls_last=True), "key")[
            :10
        ]
    )
    return {
        "charts": rendered,
        "totals": totals,
        "totals_links": {
            "all": compare_url([]),
            "gaps": compare_url([("alignment", v) for v in GAPS]),
            "settled": compare_url([("status", v) for v in SETTLED]),
        },
        "settled_share": round(100 * totals["settled"] / totals["all"]) if totals["all"] else 0,
        "recent": recent,
        "needing_action": needing_action,
    }


RECENT = 10


def recently_changed(count=RECENT):
    """The `count` most recently changed mappings, newest first: saved themselves, or
    one of the limits of a clause they cite saved (a limit edit can change the verdict
    without touching the mapping). Each mapping carries `changed_at` and, for a limit
    edit, `limit_change` ("Lead ≤ 0.3 mg/kg") and `verdict_change` ((before, after), when
    the edit changed the verdict the limits engine computes, as on the pair page).
    Constant queries: the mappings, the last limit edits, the mappings citing those
    clauses with their sides, and the limit edits since the oldest one shown."""
    from limits.notation import format_limit
    from standards.history import limit_changes, verdict_changes

    entries = [
        (mapping.updated_at, mapping, None)
        for mapping in ClauseMapping.objects.select_related("updated_by").order_by(
            "-updated_at", "key"
        )[:count]
    ]
    edits = list(
        Limit.history.select_related("parameter").order_by("-history_date", "-history_id")[:count]
    )
    if edits:
        clause_ids = {edit.clause_id for edit in edits}
        kz = ClauseMapping.kz_clauses.through.objects.filter(clause_id__in=clause_ids)
        cn = ClauseMapping.cn_clauses.through.objects.filter(clause_id__in=clause_ids)
        citing = list(
            kz.values_list("clause_id", "clausemapping_id").union(
                cn.values_list("clause_id", "clausemapping_id")
            )
        )
        mappings = ClauseMapping.objects.for_list().in_bulk(
            {mapping_id for _clause, mapping_id in citing}
        )
        for edit in edits:
            for clause_id, mapping_id in citing:
                if clause_id == edit.clause_id and mapping_id in mappings:
                    entries.append((edit.history_date, mappings[mapping_id], edit))
    entries.sort(key=lambda entry: entry[0], reverse=True)  # stable: key order kept
    recent, seen = [], set()
    for changed_at, mapping, edit in entries:
        if mapping.pk in seen:
            continue
        seen.add(mapping.pk)
        mapping.changed_at, mapping.limit_change = changed_at, ""
        mapping.verdict_change, mapping.limit_edit = None, edit
        if edit is not None:
            mapping.limit_change = f"{edit.parameter} {format_limit(edit)}"
        recent.append(mapping)
    recent = recent[:count]
    shown = [m for m in recent if m.limit_edit is not None]
    if shown:
        sides = {m.pk: {c.pk for c in (*m.kz_side, *m.cn_side)} for m in shown}
        changes = limit_changes(
            set().union(*sides.values()),
            limit=None,
            since=min(m.limit_edit.history_date for m in shown),
        )
        for mapping in shown:
            mine = [c for c in changes if c.record.clause_id in sides[mapping.pk]]
            verdicts = verdict_changes(mapping, mine)
            mapping.verdict_change = verdicts.get(mapping.limit_edit.history_id)
    return recent


def rounds_context(today=None):
    """The next round (starting today or later), the open action items past their due
    date, and the decisions of the last round held (the highest-numbered round not
    scheduled for a later day)."""
    today = today or timezone.localdate()
    next_round = Round.objects.filter(starts_on__gte=today).order_by("starts_on", "number").first()
    overdue = (
        ActionItem.objects.filter(status=ActionItem.Status.OPEN, due_on__lt=today)
        .select_related("round")
        .order_by("due_on", "pk")
    )
    last_round = (
        Round.objects.filter(Q(starts_on__lte=today) | Q(starts_on__isnull=True))
        .order_by("-number")
        .prefetch_related("decisions")
        .first()
    )
    return {
        "next_round": next_round,
        "overdue_actions": list(overdue),
        "last_round": last_round,
        "last_decisions": list(last_round.decisions.all()) if last_round else [],
    }


def pathways_context(today=None):
    """The milestone timeline of every pathway (its SVG and, as a table, each pathway's
    figures and milestones): three queries whatever the number of pathways."""
    today = today or timezone.localdate()
    pathways = list(pathways_measured())
    return {
        "timeline_svg": mark_safe(timeline_svg(pathways, today)) if pathways else "",
        "timeline_rows": [(p, measure(p, today)) for p in pathways],
    }


# The dashboard lists at most this many renewals; the register lists them all.
RENEWALS_SHOWN = 10


def renewals_context(today=None):
    """The establishments due for renewal (standards.establishments.renewals_due): one
    query."""
    due = renewals_due(today or timezone.localdate())
    return {"renewals": due[:RENEWALS_SHOWN], "renewals_total": len(due)}


def visits_context(today=None):
    """The corrective actions of the site visits past their deadline (one query)."""
    return {"overdue_corrective_actions": overdue_actions(today or timezone.localdate())}


@reader_required
def dashboard(request):
    return render(
        request,
        "standards/dashboard.html",
        {
            **dashboard_context(),
            **rounds_context(),
            **pathways_context(),
            **renewals_context(),
            **visits_context(),
        },
    )
