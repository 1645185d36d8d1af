"""How far each market-access pathway is, in figures: progress (stages done of all the
stages of the procedure), the time spent in each stage, what is overdue and what blocks
it (its mappings not yet settled).

Plain functions over a pathway whose milestones and open mappings are prefetched
(`pathways_measured`), so that a page of any number of pathways costs the same few
queries.

- Progress counts the recorded milestones that are done against the 11 stages of the
  procedure: a stage the sources say nothing of is not counted as done.
- Time in a stage runs from the actual date of the recorded stage before it to the
  stage's own actual date (or to today while it is in progress or slipped). Where either
  date is not known to the day (the source gives a month only) it is not computed.
- A milestone is overdue when its target date has passed and it is not done.
- A mapping blocks the pathway while its status is not agreed, harmonized or "no action
  needed".
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from standards.charts import milestone_timeline
from standards.models import ClauseMapping, Milestone, Pathway

Stage = Milestone.Stage
Status = Milestone.Status
SETTLED_MAPPING_STATUSES = (
    ClauseMapping.Status.AGREED,
    ClauseMapping.Status.HARMONIZED,
    ClauseMapping.Status.NO_ACTION,
)
WORKING = (Status.IN_PROGRESS, Status.SLIPPED)


@dataclass
class Measure:
    """The figures of one pathway."""

    total: int
    done: int
    percent: int
    # The stage being worked on: the first one in progress or slipped, else the stage
    # after the furthest one done; None when the last stage is done.
    current_stage: int | None
    current_label: str
    overdue: list = field(default_factory=list)
    blocking: list = field(default_factory=list)
    # (milestone, days in the stage or None, overdue) in the order of the stages
    rows: list = field(default_factory=list)


def open_mappings():
    """The mappings that block a pathway: any not yet settled."""
    return ClauseMapping.objects.exclude(status__in=SETTLED_MAPPING_STATUSES)


def pathways_measured(queryset=None, with_rounds=False):
    """The pathways with their milestones (in stage order) and blocking mappings
    prefetched: three queries (four with the rounds) whatever their number."""
    queryset = Pathway.objects.all() if queryset is None else queryset
    prefetches = [
        Prefetch("milestones", queryset=Milestone.objects.order_by("stage")),
        Prefetch(
            "mappings",
            queryset=open_mappings().order_by("key"),
            to_attr="blocking_mappings",
        ),
    ]
    if with_rounds:
        prefetches.append("rounds")
    return queryset.prefetch_related(*prefetches).order_by("key")


def days_in_stage(milestones, today=None):
    """{milestone pk: days or None} for milestones in stage order (see the module)."""
    today = today or timezone.localdate()
    days = {}
    previous = None
    for milestone in milestones:
        start = previous.actual_date if previous is not None else None
        if milestone.status == Status.DONE:
            end = milestone.actual_date
        elif milestone.status in WORKING:
            end = today
        else:
            end = None
        days[milestone.pk] = (end - start).days if start and end and end >= start else None
        previous = milestone
    return days


def current_stage(milestones):
    """The stage being worked on (see Measure.current_stage)."""
    for milestone in milestones:
        if milestone.status in WORKING:
            return milestone.stage
    done = [m.stage for m in milestones if m.status == Status.DONE]
    if not done:
        return Stage.values[0]
    furthest = max(done)
    later = [value for value in Stage.values if value > furthest]
    return later[0] if later else None


def measure(pathway, today=None):
    """The figures of a pathway from `pathways_measured`."""
    today = today or timezone.localdate()
    milestones = list(pathway.milestones.all())
    blocking = getattr(pathway, "blocking_mappings", None)
    if blocking is None:
        blocking = list(open_mappings().filter(pathways=pathway).order_by("key"))
    days = days_in_stage(milestones, today)
    total = len(Stage.values)
    done = sum(1 for m in milestones if m.status == Status.DONE)
    stage = current_stage(milestones)
    rows = [(m, days[m.pk], m.is_overdue(today)) for m in milestones]
    return Measure(
        total=total,
        done=done,
        percent=round(100 * done / total),
        current_stage=stage,
        current_label=Stage(stage).label if stage is not None else "",
        overdue=[m for m, _days, overdue in rows if overdue],
        blocking=list(blocking),
        rows=rows,
    )


def measured(queryset=None, today=None, with_rounds=False):
    """[(pathway, Measure)] of the pathways, in key order."""
    today = today or timezone.localdate()
    return [(p, measure(p, today)) for p in pathways_measured(queryset, with_rounds)]


def timeline_svg(pathways, today=None, links=True, chart_id="chart-pathway-timeline"):
    """The milestone timeline of `pathways` (their milestones prefetched, as from
    `pathways_measured`): one row per pathway, target dates against actual dates. The
    same SVG serves the HTML pages (`links`: each row's label links to its pathway) and
    the PDF (no links)."""
    today = today or timezone.localdate()
    rows = [
        (
            pathway.title,
            pathway.get_absolute_url() if links else None,
            [
                (m.get_stage_display(), m.target_date, m.actual_date)
                for m in pathway.milestones.all()
            ],
        )
        for pathway in pathways
    ]
    legend = {"target": _("Target date"), "actual": _("Actual date"), "today": _("Today")}
    return milestone_timeline(chart_id, timeline_title(), rows, legend, today=today)


def timeline_title():
    return _("Market-access milestones: target dates against actual dates")
