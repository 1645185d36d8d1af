"""The report cache's upkeep (standards.reports.upkeep): pre-renders after edits, a burst
of edits as one pass, joins instead of second renders, and the retention policy."""

import datetime
import json

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from standards.models import ClauseMapping, ReportDemand, ReportFile
from standards.reports import files, upkeep
from standards.reports.fingerprint import version_of
from standards.reports.selection import selection_from
from standards.reports.tasks import render_report
from tests.factories import make_clause, make_limit, make_mapping

pytestmark = pytest.mark.django_db

CSV = reverse("standards:report-csv") + "?gaps=0"


@pytest.fixture
def data(db):
    return make_mapping(kz=[make_limit().clause], cn=[make_clause()], alignment="kz_only")


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def _edit(mapping, title):
    mapping.title = title
    mapping.save()


def _queued():
    return ReportFile.objects.filter(status=ReportFile.Status.QUEUED)


def _version(query):
    """Today's version of the records of the selection `query`."""
    return version_of(selection_from(QueryDict(query))[1])[0]


def test_the_standard_set_is_each_product_group_gaps_or_all_in_each_language():
    queries = [query for query, fmt in upkeep.standard_set() if fmt == "pdf"]
    groups, languages = ClauseMapping.ProductGroup.values, ("en", "ru", "kk", "zh-hans")
    assert len(queries) == len(set(queries)) == len(groups) * 2 * len(languages)
    assert "product=heat_treated&gaps=1&lang=zh-hans" in queries


def test_an_edit_queues_the_pre_renders_once_the_data_is_quiet(settings, data):
    settings.REPORT_PRERENDER_QUIET_SECONDS = 10
    clock = Clock()
    keeper = upkeep.Upkeep(interval=5, clock=clock)
    keeper.run()  # the worker starts: the version is new to it, not quiet yet
    assert not _queued().exists()
    clock.now = 10
    keeper.run()
    start = _queued().count()
    assert start == len(upkeep.wanted())  # the worker's start is a pass of its own
    assert DBTaskResult.objects.count() == start
    ReportFile.objects.all().delete()
    DBTaskResult.objects.all().delete()

    # A burst of edits, 4 s apart: nothing while it lasts, one pass 10 s after the last.
    for n, moment in enumerate((12, 16, 20)):
        _edit(data, f"Edited {n}")
        clock.now = moment
        keeper.run()
        assert not _queued().exists(), moment
    clock.now = 29
    keeper.run()
    assert not _queued().exists()
    clock.now = 30
    keeper.run()
    assert _queued().count() == DBTaskResult.objects.count() == len(upkeep.wanted())
    keys = set(_queued().values_list("key", flat=True))
    assert all(f.version == _version(f.selection) for f in _queued())
    clock.now = 60
    keeper.run()  # quiet, and already queued: no second pass
    assert set(_queued().values_list("key", flat=True)) == keys
    assert DBTaskResult.objects.count() == len(keys)


def test_edits_without_a_pause_are_rendered_after_the_longest_wait(settings, data):
    """An editor who never pauses for the quiet period still gets the reports rendered
    again: one pass REPORT_PRERENDER_MAX_WAIT_SECONDS after the first edit not rendered,
    then the wait starts again from the next edit."""
    settings.REPORT_PRERENDER_QUIET_SECONDS = 10
    settings.REPORT_PRERENDER_MAX_WAIT_SECONDS = 60
    clock = Clock()
    keeper = upkeep.Upkeep(interval=5, clock=clock)
    keeper.rendered = keeper.seen = upkeep.data_version()[0]  # caught up with today's data
    passes = []
    for moment in range(0, 130, 5):  # an edit every 5 s for two minutes
        _edit(data, f"Edited at {moment}")
        clock.now = moment
        before = _queued().count()
        keeper.run()
        if _queued().count() > before:
            passes.append(moment)
            ReportFile.objects.all().delete()
    assert passes == [60, 125]


def test_downloads_are_counted_and_rendered_again_first(client_for, negotiator, data):
    client = client_for(negotiator)
    for _ in range(3):
        assert client.get(CSV).status_code == 200
    [demand] = ReportDemand.objects.all()
    assert (demand.fmt, demand.requests, demand.selection) == ("csv", 3, "gaps=0&lang=en")
    assert upkeep.wanted()[0] == ("gaps=0&lang=en", "csv")
    too_old = timezone.now() - datetime.timedelta(days=31)
    ReportDemand.objects.update(last_requested_at=too_old)
    assert ("gaps=0&lang=en", "csv") not in upkeep.wanted()


def test_a_download_after_the_pre_render_is_a_cache_hit(client_for, negotiator, data, monkeypatch):
    client = client_for(negotiator)
    first = client.get(CSV)
    assert first.status_code == 200 and first["X-Report-Cache"] == "miss"
    _edit(data, "Edited")
    assert upkeep.prerender() == len(upkeep.wanted())
    [pre] = _queued().filter(fmt="csv")
    render_report.call(pre.pk)  # the worker's render
    monkeypatch.setattr(files, "produce", lambda *a: pytest.fail("rendered in the request"))
    response = client.get(CSV)
    assert response.status_code == 200 and response["X-Report-Fingerprint"]
    assert response["X-Report-Cache"] == "hit"
    pre.refresh_from_db()
    assert pre.status == ReportFile.Status.DONE and pre.size == len(response.content)
    assert pre.last_served_at is not None


def test_a_request_during_a_queued_pre_render_joins_it(client_for, negotiator, data, monkeypatch):
    upkeep.prerender()
    query, _fmt = upkeep.standard_set()[0]
    url = reverse("standards:report-pdf") + "?" + query
    before = ReportFile.objects.count()
    monkeypatch.setattr(files, "produce", lambda *a: pytest.fail("a second render"))
    response = client_for(negotiator).get(url)
    assert response.status_code == 202 and "being prepared" in response.text
    assert ReportFile.objects.count() == before


def test_a_pre_render_overtaken_by_an_edit_is_not_rendered(data, monkeypatch):
    upkeep.prerender()
    pre = _queued().first()
    _edit(data, "Edited since")
    monkeypatch.setattr(
        "standards.reports.tasks.produce", lambda *a: pytest.fail("rendered stale data")
    )
    render_report.call(pre.pk)
    assert not ReportFile.objects.filter(pk=pre.pk).exists()


# --- retention ------------------------------------------------------------------------


def _file(key, version, *, status="done", age_hours=0, size=1000, served_hours=None):
    now = timezone.now()
    report_file = ReportFile.objects.create(
        key=key.ljust(64, "0"),
        fmt="csv",
        selection="gaps=0&lang=en",
        status=status,
        version=version,
        size=size,
        content=b"x",
        last_served_at=None
        if served_hours is None
        else now - datetime.timedelta(hours=served_hours),
    )
    moment = now - datetime.timedelta(hours=age_hours)
    ReportFile.objects.filter(pk=report_file.pk).update(
        created_at=moment, finished_at=None if status in ("queued", "running") else moment
    )
    return report_file.key


def test_retention_keeps_the_current_version_and_drops_the_superseded_after_a_grace(settings, data):
    settings.REPORT_CACHE_GRACE_SECONDS = 3600
    current = _version("gaps=0&lang=en")
    kept = {
        _file("a", current, age_hours=48),
        _file("b", "older", age_hours=0.5),  # superseded, within the grace
        _file("c", "older", status="running", age_hours=5),
        _file("d", "baseline:1:abc", age_hours=48, served_hours=24),
    }
    dropped = {
        _file("e", "older", age_hours=2, size=5000),
        _file("f", current, status="failed", age_hours=2),
        _file("g", "baseline:1:abc", age_hours=48, served_hours=24 * 40),
        _file("h", "", age_hours=2),  # rendered before versions were recorded
    }
    result = upkeep.retain()
    assert set(ReportFile.objects.values_list("key", flat=True)) == kept
    assert result == {"dropped": len(dropped), "freed": 5000 + 3 * 1000}


def test_the_size_cap_drops_the_least_recently_downloaded_and_the_standard_set_last(settings, data):
    settings.REPORT_CACHE_MAX_MB = 1
    current = _version("gaps=0&lang=en")
    megabyte = 2**20
    query, fmt = upkeep.standard_set()[0]
    _form, selection = selection_from(QueryDict(query))
    standard = files.cache_key(_version(query), selection, fmt)
    assert standard in upkeep._standard_keys()
    ReportFile.objects.create(
        key=standard,
        fmt=fmt,
        selection=query,
        status="done",
        version=_version(query),
        size=megabyte // 2,
        content=b"x",
        last_served_at=None,
    )
    _file("old", current, size=megabyte // 2, served_hours=10)
    _file("new", current, size=megabyte // 4, served_hours=1)
    result = upkeep.retain()
    left = set(ReportFile.objects.values_list("key", flat=True))
    assert left == {standard, "new".ljust(64, "0")}
    assert result == {"dropped": 1, "freed": megabyte // 2}


def test_healthz_shows_the_cache_to_administrators_only(
    client, client_for, administrator, regulator, data
):
    _file("a", _version("gaps=0&lang=en"), size=2**20)
    assert "report_cache" not in json.loads(client.get("/healthz").content)
    assert "report_cache" not in json.loads(client_for(regulator).get("/healthz").content)
    body = json.loads(client_for(administrator).get("/healthz").content)
    cache = body["report_cache"]
    assert cache["files"] == 1 and cache["megabytes"] == 1.0
    assert cache["current_version_files"] == 1 and cache["superseded_files"] == 0
    assert cache["policy"]["max_megabytes"] == 500


def test_the_worker_thread_runs_the_upkeep(settings, data, monkeypatch):
    calls = []
    monkeypatch.setattr(upkeep, "retain", lambda: calls.append("retain"))
    with upkeep.Upkeep(interval=0.05):
        import time

        time.sleep(0.3)
    assert calls  # run when entered, and from its thread


# --- versions of a selection ---------------------------------------------------------------


def test_an_edit_elsewhere_leaves_a_selections_file_a_hit(client_for, negotiator, db):
    """The cache key is the version of the selection's own records: an edit of another
    product group's mapping keeps the chilled report a hit, an edit of one of its own
    mappings, of a limit of a clause it cites, or a note on it makes it a miss."""
    chilled = make_mapping(key="KZCN-801", product_group="chilled", kz=[make_limit().clause])
    heat = make_mapping(key="KZCN-802", product_group="heat_treated", kz=[make_clause()])
    client = client_for(negotiator)
    url = reverse("standards:report-csv") + "?product=chilled&gaps=0"

    def outcome():
        response = client.get(url)
        assert response.status_code == 200
        return response["X-Report-Cache"]

    assert outcome() == "miss"
    assert outcome() == "hit"
    _edit(heat, "Another group's pair")
    assert outcome() == "hit"
    _edit(chilled, "Its own pair")
    assert outcome() == "miss"
    assert outcome() == "hit"
    limit = chilled.kz_clauses.get().limits.get()
    limit.value = limit.value + 1
    limit.save()
    assert outcome() == "miss"
    heat.delete()
    assert outcome() == "hit"


def test_a_mapping_leaving_or_joining_a_selection_changes_its_version(db):
    """Even without a save that touches its time of change (a bulk update)."""
    make_mapping(key="KZCN-811", product_group="chilled", status="negotiation")
    moving = make_mapping(key="KZCN-812", product_group="chilled", status="negotiation")
    query = "product=chilled&gaps=1"
    before = _version(query)
    ClauseMapping.objects.filter(pk=moving.pk).update(status="harmonized")  # out of the gaps
    assert _version(query) != before
    ClauseMapping.objects.filter(pk=moving.pk).update(status="negotiation")  # back in
    assert _version(query) == before
