"""Backup and restore of the whole portal: export_portal, import_portal."""

import datetime
import gzip
import io
import json

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection

from standards import backup
from standards.models import (
    Clause,
    ClauseMapping,
    Limit,
    NegotiationNote,
    ReportFile,
    Standard,
)
from standards.reports.fingerprint import data_version
from standards.roles import ADMINISTRATOR, EDITOR, NEGOTIATOR, REGULATOR, ROLES, sync_roles
from standards.services import assign_role, set_mappings
from tests.factories import make_clause, make_limit, make_mapping, make_standard

pytestmark = pytest.mark.django_db


def export(path):
    out = io.StringIO()
    call_command("export_portal", str(path), stdout=out)
    return out.getvalue()


def restore(path):
    out = io.StringIO()
    call_command("import_portal", str(path), stdout=out)
    return out.getvalue()


def read(path):
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return json.load(file)


def write(path, content):
    with gzip.open(path, "wt", encoding="utf-8") as file:
        json.dump(content, file)


def skipped_tables():
    return {
        model._meta.db_table for model in apps.get_models() if model._meta.label in backup.SKIPPED
    }


def table_counts(skip=()):
    """Rows of every table of the database."""
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            if table in skip:
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def user(username, role=None, **fields):
    account = get_user_model().objects.create_user(
        username=username, password="pw-" + username, **fields
    )
    if role:
        assign_role(account, role)
    return account


def flush(reset_sequences):
    """Empty the database as a fresh one is, with the role groups its migrations make."""
    call_command("flush", interactive=False, verbosity=0, reset_sequences=reset_sequences)
    sync_roles()


def test_every_model_is_backed_up_or_deliberately_left_out():
    exported = {part.label for part in backup.PARTS}
    assert not exported & set(backup.SKIPPED)
    for model in apps.get_models():
        assert model._meta.label in exported | set(backup.SKIPPED), model._meta.label


def build_portal():
    """The reference data plus what users add: roles, changes with reasons, notes, a
    deleted limit, a deleted user, the admin log, a cached report."""
    call_command("load_reference_data", stdout=io.StringIO())
    admin = user("admin-a", ADMINISTRATOR, first_name="Айгүл", email="a@example.org")
    editor = user("editor-e", EDITOR)
    negotiator = user("negotiator-n", NEGOTIATOR)
    user(
        "regulator-r",
        REGULATOR,
        last_login=datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC),
    )
    user("retired", REGULATOR, is_active=False)
    get_user_model().objects.create_superuser("root", "root@example.org", "pw-root")
    auditors = Group.objects.create(name="Auditors")
    auditors.permissions.set(Permission.objects.filter(codename="view_clausemapping"))
    direct = user("auditor-x")
    direct.groups.add(auditors)
    direct.user_permissions.set(Permission.objects.filter(codename="export_report"))

    mappings = ClauseMapping.objects.order_by("key")
    set_mappings(
        mappings.filter(key__in=["KZCN-001", "KZCN-002", "KZCN-003"]),
        "status",
        ClauseMapping.Status.NEGOTIATION,
        user=editor,
        reason="Opened at round 2",
    )
    set_mappings(
        mappings.filter(key="KZCN-002"),
        "alignment",
        ClauseMapping.Alignment.DIFFERENT,
        user=admin,
        reason="Methods differ",
    )
    # Someone who changed a mapping and whose account was deleted afterwards: the history
    # still names the account's id.
    gone = user("gone", EDITOR)
    set_mappings(
        mappings.filter(key="KZCN-004"), "status", "technical_review", user=gone, reason="Review"
    )
    gone.delete()

    # A settled pair whose clause text changed: an open re-review flag, and a cleared one.
    from standards.review import clear

    settled = mappings.get(key="KZCN-005")
    set_mappings(mappings.filter(pk=settled.pk), "status", "agreed", user=editor, reason="Agreed")
    clause = settled.cn_clauses.first() or settled.kz_clauses.first()
    for text in ("Amended text.", "Amended again."):
        clause.text_en = text
        clause._history_user = editor
        clause.save()
    clear(settled.review_flags.all(), user=admin, reason="Same requirement.")
    clause.text_en = "Amended a third time."
    clause.save()

    first = mappings.first()
    first.kz_clauses.add(Clause.objects.filter(standard__jurisdiction="kz").last())
    older, newer = Standard.objects.order_by("pk")[:2]
    newer.supersedes.add(older)
    Limit.objects.order_by("pk").last().delete()

    note = NegotiationNote.objects.create(
        mapping=first,
        side="cn",
        meeting="Round 2, Beijing",
        date=datetime.date(2026, 4, 2),
        text="China proposes 0.3 mg/kg.",
        author=negotiator,
    )
    NegotiationNote.objects.create(
        mapping=first,
        side="cn",
        meeting="Round 2, Beijing",
        date=datetime.date(2026, 4, 3),
        text="Corrected: 0.25 mg/kg.",
        author=editor,
        corrects=note,
    )
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(ClauseMapping),
        object_id=str(first.pk),
        object_repr=str(first),
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Rationale"]}}]',
    )
    from standards.baselines import take_baseline
    from standards.models import Round

    take_baseline(Round.objects.order_by("number").first(), admin)
    # What users watch, how they get their digests, a digest they got.
    from standards.models import Notification, Watch, WatchPreference

    Watch.objects.create(user=negotiator, kind="mapping", mapping=first)
    Watch.objects.create(user=negotiator, kind="topic", topic="labelling")
    Watch.objects.create(user=admin, kind="standard", standard=older)
    Watch.objects.create(user=admin, kind="round", round=Round.objects.order_by("number").first())
    WatchPreference.objects.create(user=negotiator, frequency="weekly", language="ru")
    now = datetime.datetime(2026, 4, 3, 9, 30, 0, 123456, tzinfo=datetime.UTC)
    Notification.objects.create(
        user=negotiator,
        subject="What changed",
        body="KZCN-001: Not started → Under negotiation",
        period_start=now - datetime.timedelta(days=7),
        period_end=now,
    )
    # A follow-up visit of the seeded review, with a site, a finding and its closed action.
    from standards.models import SiteVisit

    review = SiteVisit.objects.get(key="gacc-mara-2023-12-vet-service-review")
    follow_up = SiteVisit.objects.create(
        key="follow-up",
        title="Follow-up",
        purpose="follow_up",
        inspecting_body="GACC",
        status="closed",
        findings_state="recorded",
        follow_up_of=review,
        source="test",
    )
    follow_up.pathways.set(review.pathways.all())
    site = follow_up.sites.create(site_type="laboratory", name="Lab", region="abai")
    follow_up.team.create(name="Expert", role="expert", side="cn")
    follow_up.checklist.create(requirement="Sampling plan", topic="residues", pvs_competency="II-4")
    finding = follow_up.findings.create(text="Late results", severity="isolated", site=site)
    finding.mappings.add(first)
    finding.actions.create(
        action="Faster analysis",
        owner_side="kz",
        status="verified",
        evidence="Lab log",
        verification_method="document",
        verified_by="GACC",
        closed_on=datetime.date(2026, 4, 1),
    )
    ReportFile.objects.create(key="k" * 64, fmt="csv", selection="gaps=1", requested_by=admin)
    # An establishment whose status changed: its status history and its own history.
    from standards.models import Establishment

    plant = Establishment.objects.create(
        key="almaty-meat", name="Almaty Meat", listing_date=datetime.date(2024, 2, 29)
    )
    plant.status = Establishment.Status.SUSPENDED
    plant._change_reason = "Suspended by GACC"
    plant._history_user = editor
    plant.save()
    return first


# Transactional: the restore goes into a database emptied by flush, as a fresh one is.
@pytest.mark.django_db(transaction=True)
def test_a_restored_portal_is_the_backed_up_portal(tmp_path):
    sync_roles()
    mapping = build_portal()
    before = table_counts(skip=skipped_tables())
    version = data_version()
    reasons = list(
        mapping.history.order_by("history_id").values_list("history_change_reason", flat=True)
    )
    export(tmp_path / "first.json.gz")

    # Without resetting sequences: content types, permissions and groups get other ids
    # than in the backed-up database, which natural keys must bridge.
    flush(reset_sequences=False)
    assert backup.existing_data() == {}
    summary = restore(tmp_path / "first.json.gz")
    assert "standards.clausemapping: 65" in summary
    export(tmp_path / "second.json.gz")

    first, second = read(tmp_path / "first.json.gz"), read(tmp_path / "second.json.gz")
    assert first["format"] == backup.FORMAT
    assert first["objects"] == second["objects"]
    assert first["counts"] == second["counts"]
    assert first["migrations"] == second["migrations"]
    assert first["counts"]["standards.historicalclausemapping_kz_clauses"] > 0
    assert first["counts"]["admin.logentry"] == 1
    assert first["counts"]["standards.watch"] == 4
    assert first["counts"]["standards.notification"] == 1
    assert first["counts"]["standards.establishmentstatuschange"] == 2
    assert first["counts"]["standards.historicalestablishment"] == 2
    # A restored baseline still matches the history it reads.
    from standards.baselines import verify
    from standards.models import Baseline

    assert first["counts"]["standards.baseline"] == 1
    assert first["counts"]["standards.reviewflag"] >= 2  # restored, none raised anew
    assert verify(Baseline.objects.get())
    assert table_counts(skip=skipped_tables()) == before

    # Nothing new in the history, times as they were, the same data version.
    assert data_version() == version
    restored = ClauseMapping.objects.get(pk=mapping.pk)
    assert restored.updated_at == mapping.updated_at
    reasons_after = restored.history.order_by("history_id").values_list(
        "history_change_reason", flat=True
    )
    assert list(reasons_after) == reasons and "Opened at round 2" in reasons
    assert ReportFile.objects.count() == 0

    admin = get_user_model().objects.get(username="admin-a")
    assert admin.check_password("pw-admin-a") and admin.is_staff
    assert list(admin.groups.values_list("name", flat=True)) == [ADMINISTRATOR]
    assert admin.has_perm("auth.change_user")
    auditor = get_user_model().objects.get(username="auditor-x")
    assert auditor.has_perm("standards.export_report")
    assert auditor.has_perm("standards.view_clausemapping")
    assert LogEntry.objects.get().get_edited_object() == restored
    assert NegotiationNote.objects.get(corrects__isnull=False).corrects.author.username == (
        "negotiator-n"
    )


@pytest.mark.django_db(transaction=True)
def test_new_rows_after_a_restore_get_fresh_ids(tmp_path):
    sync_roles()
    editor = user("editor-e", EDITOR)
    mapping = make_mapping(kz=[make_clause()], cn=[make_clause()])
    make_limit(mapping.kz_clauses.get())
    set_mappings(ClauseMapping.objects.all(), "status", "agreed", user=editor, reason="Agreed")
    highest = {
        model: model._base_manager.order_by("-pk").values_list("pk", flat=True)[0]
        for model in (get_user_model(), Standard, Clause, ClauseMapping, Limit)
    }
    highest_history = ClauseMapping.history.order_by("-pk").values_list("pk", flat=True)[0]
    export(tmp_path / "backup.json.gz")
    # Sequences start again at 1, as in a new database.
    flush(reset_sequences=True)
    restore(tmp_path / "backup.json.gz")

    new_editor = user("editor-2", EDITOR)
    standard = make_standard()
    clause = make_clause(standard)
    limit = make_limit(clause)
    new_mapping = make_mapping(kz=[clause])
    set_mappings(
        ClauseMapping.objects.all(), "status", "harmonized", user=new_editor, reason="Done"
    )
    for model, obj in (
        (get_user_model(), new_editor),
        (Standard, standard),
        (Clause, clause),
        (ClauseMapping, new_mapping),
        (Limit, limit),
    ):
        assert obj.pk > highest[model], model
    assert ClauseMapping.history.order_by("-pk")[0].pk > highest_history


@pytest.fixture
def empty_backup(tmp_path):
    """A valid backup of a database holding only what migrations create."""
    path = tmp_path / "empty.json.gz"
    export(path)
    return path


def refused(path, message):
    before = table_counts()
    with pytest.raises(CommandError, match=message) as error:
        restore(path)
    assert "nothing was changed" in str(error.value)
    assert table_counts() == before


def test_a_database_holding_data_is_refused(tmp_path):
    make_mapping(kz=[make_clause()])
    path = tmp_path / "backup.json.gz"
    export(path)
    refused(path, r"already holds data: standards\.standard 1, standards\.clause 1")


def test_a_database_holding_only_a_user_is_refused(empty_backup):
    user("someone", REGULATOR)
    refused(empty_backup, r"already holds data: auth\.user 1\. ")


def test_the_role_groups_of_the_migrations_are_not_data(empty_backup):
    assert set(Group.objects.values_list("name", flat=True)) == set(ROLES)
    assert backup.existing_data() == {}
    assert "Portal restored" in restore(empty_backup)


def test_files_that_are_not_backups_are_refused(tmp_path, empty_backup):
    text = tmp_path / "notes.txt"
    text.write_text("not a backup", encoding="utf-8")
    refused(text, "not a complete gzip file")
    garbage = tmp_path / "garbage.json.gz"
    garbage.write_bytes(gzip.compress(b"\xff\xfe{"))
    refused(garbage, "does not hold JSON")
    fixture = tmp_path / "fixture.json.gz"
    write(fixture, [{"model": "standards.standard", "pk": 1, "fields": {}}])
    refused(fixture, "not a portal backup")
    refused(tmp_path / "missing.json.gz", "no such file")
    future = read(empty_backup) | {"format_version": 99}
    write(tmp_path / "future.json.gz", future)
    refused(tmp_path / "future.json.gz", "format version 99")


def test_truncated_and_damaged_files_are_refused(tmp_path):
    make_mapping(kz=[make_clause()], cn=[make_clause()])
    path = tmp_path / "backup.json.gz"
    export(path)
    content = path.read_bytes()

    truncated = tmp_path / "truncated.json.gz"
    truncated.write_bytes(content[: len(content) // 2])
    refused(truncated, "not a complete gzip file")
    flipped = bytearray(content)
    flipped[len(content) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.json.gz"
    damaged.write_bytes(bytes(flipped))
    refused(damaged, "not a complete gzip file|does not hold JSON")

    # An object taken out: the counts of the header tell.
    edited = read(path)
    edited["objects"] = [obj for obj in edited["objects"] if obj["model"] != "standards.clause"]
    write(tmp_path / "short.json.gz", edited)
    refused(tmp_path / "short.json.gz", r"damaged: the object counts of standards\.clause")
    # A model no backup holds.
    edited = read(path)
    edited["objects"].append({"model": "sessions.session", "pk": "x", "fields": {}})
    edited["counts"]["sessions.session"] = 1
    write(tmp_path / "session.json.gz", edited)
    refused(tmp_path / "session.json.gz", "holds models a backup does not: sessions.session")


def test_a_backup_made_at_other_migrations_is_refused(tmp_path, empty_backup):
    content = read(empty_backup)
    content["migrations"]["standards"] = ["0001_initial"]
    write(tmp_path / "old.json.gz", content)
    refused(tmp_path / "old.json.gz", r"other migrations .*standards \(backup 0001_initial")


def test_a_restore_failing_halfway_writes_nothing(tmp_path, empty_backup):
    content = read(empty_backup)
    standard = {
        "model": "standards.standard",
        "pk": 7,
        "fields": {
            "key": "tr-cu-034",
            "jurisdiction": "kz",
            "code": "TR CU 034/2013",
            "title_en": "On the safety of meat",
            "kind": "technical_regulation",
            "status": "in_force",
            "created_at": "2026-01-01T00:00:00+00:00",
            "updated_at": "2026-01-01T00:00:00+00:00",
            "supersedes": [],
        },
    }
    clause = {
        "model": "standards.clause",
        "pk": 8,
        "fields": {
            "standard": 999_999,  # no such standard
            "reference": "1",
            "topic": "contaminants",
            "confidence": "high",
            "created_at": "2026-01-01T00:00:00+00:00",
            "updated_at": "2026-01-01T00:00:00+00:00",
        },
    }
    content["objects"] += [standard, clause]
    content["counts"]["standards.standard"] = content["counts"]["standards.clause"] = 1
    write(tmp_path / "broken.json.gz", content)
    refused(tmp_path / "broken.json.gz", "could not be restored")
    assert not Standard.objects.exists()


def test_export_keeps_microseconds_and_writes_no_caches(tmp_path):
    mapping = make_mapping()
    ReportFile.objects.create(key="k" * 64, fmt="csv", selection="gaps=1")
    path = tmp_path / "backup.json.gz"
    assert "Portal written" in export(path)
    content = read(path)
    (row,) = [obj for obj in content["objects"] if obj["model"] == "standards.clausemapping"]
    assert datetime.datetime.fromisoformat(row["fields"]["updated_at"]) == mapping.updated_at
    assert "standards.reportfile" not in {obj["model"] for obj in content["objects"]}
    assert set(content) == {
        "format",
        "format_version",
        "created_at",
        "migrations",
        "counts",
        "objects",
    }
