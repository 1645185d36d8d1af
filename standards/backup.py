"""Backup and restore of the whole portal in one file (manage.py export_portal, import_portal).

The file is gzip'd JSON: a header (format name and version, creation time, the applied
migration heads per app, object counts per model) and the objects, in Django's serialization
format (the "python" serializer, written with full-precision timestamps).

What is in it: users, groups and their memberships and permissions, standards, clauses,
mappings with their clause sets, limits, parameters, negotiation notes, rounds and baselines,
pathways and milestones, establishments and their status changes, users' watches, digest
preferences and notifications, every history table (including the history of clause sets
and of superseded editions) and the admin log.
Rows keep their ids, so history, notes, "last changed by" and admin log entries keep
pointing at the same records. Content types, permissions and groups are referred to by
natural key (app label and model; codename; group name): the migrations of the target
database create them, under ids of their own.

What is not (SKIPPED says why, model by model): content types and permissions (created
by migrate), rendered reports (standards.ReportFile, a cache rebuilt on demand),
background task results, sessions (users log in again), spreadsheet uploads awaiting
confirmation, the report worker's heartbeat and the django-axes login attempt records
(lockouts expire by themselves).
"""

import datetime
import gzip
import json
import os
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models import Prefetch
from django.utils import timezone

from standards.roles import ROLES

FORMAT = "kzcn-portal-backup"
FORMAT_VERSION = 1


class BackupError(Exception):
    """A backup that cannot be written or restored; nothing was changed."""


@dataclass(frozen=True)
class Part:
    """One model in the backup. `natural_keys`: references to content types, permissions,
    groups and users are written as natural keys; `natural_primary_key`: the row itself is
    identified by its natural key (the target's migrations may already hold it)."""

    label: str
    natural_keys: bool = False
    natural_primary_key: bool = False
    order_by: str = "pk"

    @property
    def model(self):
        return apps.get_model(self.label)

    @property
    def key(self):
        """How the file names the model: Django's serialized "model" value."""
        return self.model._meta.label_lower


# In loading order. Auto-created many-to-many tables (group permissions, user groups,
# mapping clause sets, superseded editions) travel with the model that declares them.
PARTS = (
    Part("auth.Group", natural_keys=True, natural_primary_key=True, order_by="name"),
    Part("auth.User", natural_keys=True),
    Part("standards.Parameter"),
    Part("standards.Standard"),
    Part("standards.Clause"),
    Part("standards.ClauseMapping"),
    Part("standards.Limit"),
    Part("standards.ReviewFlag"),
    # Before the notes, which point at their round.
    Part("standards.Round"),
    Part("standards.Decision"),
    Part("standards.ActionItem"),
    # Before the pathways and catalogue entries that name them.
    Part("standards.Zone"),
    Part("standards.ZoneUnit"),
    Part("standards.ZoneDecision"),
    # After the mappings and rounds they link to.
    Part("standards.Pathway"),
    Part("standards.Milestone"),
    Part("standards.Establishment"),
    Part("standards.EstablishmentStatusChange"),
    # After the pathways, milestones, rounds, clauses and mappings they link to.
    Part("standards.SiteVisit"),
    Part("standards.VisitTeamMember"),
    Part("standards.VisitedSite"),
    Part("standards.ChecklistItem"),
    Part("standards.Finding"),
    Part("standards.CorrectiveAction"),
    Part("standards.CatalogueEntry"),
    Part("standards.CatalogueCondition"),
    # Never changed: a restore inserts them, as the history they read.
    Part("standards.Baseline"),
    Part("standards.NegotiationNote"),
    Part("standards.DelegationMember"),
    # What each user watches, how they get their digests, and the digests they got.
    Part("standards.Watch"),
    Part("standards.WatchPreference"),
    Part("standards.Notification"),
    Part("standards.IssuedReport"),
    Part("standards.GlossaryTerm"),
    Part("standards.HistoricalGlossaryTerm"),
    Part("standards.HistoricalParameter"),
    Part("standards.HistoricalStandard"),
    Part("standards.HistoricalStandard_supersedes"),
    Part("standards.HistoricalClause"),
    Part("standards.HistoricalClauseMapping"),
    Part("standards.HistoricalClauseMapping_kz_clauses"),
    Part("standards.HistoricalClauseMapping_cn_clauses"),
    Part("standards.HistoricalClauseMapping_reference_clauses"),
    Part("standards.HistoricalLimit"),
    Part("standards.HistoricalRound"),
    Part("standards.HistoricalRound_agenda"),
    Part("standards.HistoricalActionItem"),
    Part("standards.HistoricalActionItem_mappings"),
    Part("standards.HistoricalPathway"),
    Part("standards.HistoricalPathway_mappings"),
    Part("standards.HistoricalPathway_rounds"),
    Part("standards.HistoricalMilestone"),
    Part("standards.HistoricalEstablishment"),
    Part("standards.HistoricalSiteVisit"),
    Part("standards.HistoricalSiteVisit_pathways"),
    Part("standards.HistoricalSiteVisit_rounds"),
    Part("standards.HistoricalVisitTeamMember"),
    Part("standards.HistoricalVisitedSite"),
    Part("standards.HistoricalChecklistItem"),
    Part("standards.HistoricalFinding"),
    Part("standards.HistoricalFinding_clauses"),
    Part("standards.HistoricalFinding_mappings"),
    Part("standards.HistoricalCorrectiveAction"),
    Part("standards.HistoricalPathway_zones"),
    Part("standards.HistoricalZone"),
    Part("standards.HistoricalZoneUnit"),
    Part("standards.HistoricalZoneDecision"),
    Part("standards.HistoricalCatalogueEntry"),
    Part("standards.HistoricalCatalogueEntry_zones"),
    Part("standards.HistoricalCatalogueCondition"),
    Part("admin.LogEntry", natural_keys=True),
)

# Every other model, and why it is left out.
SKIPPED = {
    "contenttypes.ContentType": "created by migrate; referred to by natural key",
    "auth.Permission": "created by migrate; referred to by natural key",
    "sessions.Session": "sessions: users log in again",
    "standards.ReportFile": "rendered reports: a cache, rebuilt on demand",
    "standards.ReportDemand": "which reports were downloaded lately: rebuilt as people download",
    "django_tasks_database.DBTaskResult": "background task results",
    "axes.AccessAttempt": "login attempts: lockouts expire by themselves",
    "axes.AccessAttemptExpiration": "login attempts: lockouts expire by themselves",
    "axes.AccessLog": "login records of the running portal",
    "axes.AccessFailureLog": "login records of the running portal",
    "standards.PendingImport": "uploads awaiting confirmation: removed within a day",
    "health.WorkerHeartbeat": "the report worker's heartbeat: rewritten every few seconds",
}


class _Encoder(DjangoJSONEncoder):
    """DjangoJSONEncoder cuts times to milliseconds; a backup keeps microseconds."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


# --- export ---------------------------------------------------------------------------


def applied_migration_heads():
    """{app label: [names]} of the latest applied migrations of each app."""
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    heads = {}
    for key in applied:
        if key not in loader.graph.node_map:
            continue
        children = loader.graph.node_map[key].children
        if not any(child.key in applied and child.key[0] == key[0] for child in children):
            heads.setdefault(key[0], []).append(key[1])
    return {app: sorted(names) for app, names in sorted(heads.items())}


def _queryset(part):
    model = part.model
    queryset = model._base_manager.order_by(part.order_by)
    if part.natural_keys:
        related = [
            field.name
            for field in model._meta.concrete_fields
            if field.is_relation and hasattr(field.related_model, "natural_key")
        ]
        queryset = queryset.select_related(*related)
    prefetch = []
    for field in model._meta.many_to_many:
        if not field.remote_field.through._meta.auto_created:
            continue
        target = field.related_model._base_manager.all()
        if part.natural_keys and field.related_model._meta.label == "auth.Permission":
            target = target.select_related("content_type")
        prefetch.append(Prefetch(field.name, queryset=target))
    return queryset.prefetch_related(*prefetch)


def serialize_part(part):
    """The rows of one model as Django serializes them, clause sets and other
    many-to-many values in a fixed order."""
    objects = serializers.serialize(
        "python",
        _queryset(part),
        use_natural_foreign_keys=part.natural_keys,
        use_natural_primary_keys=part.natural_primary_key,
    )
    m2m = [field.name for field in part.model._meta.many_to_many]
    for obj in objects:
        for name in m2m:
            if name in obj["fields"]:
                obj["fields"][name] = sorted(obj["fields"][name], key=json.dumps)
    return objects


def build_backup():
    """The whole backup as one dict: header and objects, read in one transaction (on
    PostgreSQL a read-only repeatable-read snapshot when it is the outermost one)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        objects, counts = [], {}
        for part in PARTS:
            rows = serialize_part(part)
            counts[part.key] = len(rows)
            objects += rows
        heads = applied_migration_heads()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "migrations": heads,
        "counts": counts,
        "objects": objects,
    }


def export_portal(path):
    """Write the backup to `path` (replaced only once the file is complete). Returns the
    counts per model."""
    path = Path(path)
    backup = build_backup()
    try:
        # Readable by its owner only: the file holds password hashes.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as exc:
        raise BackupError(f"{path} cannot be written ({exc.strerror}).") from None
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped,
        ):
            text = json.dumps(backup, cls=_Encoder, ensure_ascii=False, separators=(",", ":"))
            zipped.write(text.encode("utf-8"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return backup["counts"]


# --- import ---------------------------------------------------------------------------


def read_backup(path):
    """The backup in `path`, checked to be complete and of this format."""
    try:
        with gzip.open(path, "rb") as zipped:
            backup = json.loads(zipped.read().decode("utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file.") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{path} is not a complete gzip file ({exc}).") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BackupError(f"{path} does not hold JSON ({exc}).") from None
    if not isinstance(backup, dict) or backup.get("format") != FORMAT:
        raise BackupError(f"{path} is not a portal backup (no '{FORMAT}' header).")
    if backup.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is backup format version {backup.get('format_version')!r}; "
            f"this portal reads version {FORMAT_VERSION}."
        )
    objects, counts = backup.get("objects"), backup.get("counts")
    if (
        not isinstance(objects, list)
        or not isinstance(counts, dict)
        or not isinstance(backup.get("migrations"), dict)
        or not all(isinstance(obj, dict) and isinstance(obj.get("fields"), dict) for obj in objects)
    ):
        raise BackupError(f"{path} is damaged: the header or the objects are malformed.")
    known = {part.key for part in PARTS}
    found = Counter(obj.get("model") for obj in objects)
    unknown = sorted(str(label) for label in (set(found) | set(counts)) - known)
    if unknown:
        raise BackupError(f"{path} holds models a backup does not: {', '.join(unknown)}.")
    wrong = sorted(label for label in known if found.get(label, 0) != counts.get(label, 0))
    if wrong:
        raise BackupError(
            f"{path} is damaged: the object counts of {', '.join(wrong)} differ from its header."
        )
    return backup


def check_migrations(backup):
    ours = applied_migration_heads()
    theirs = backup["migrations"]
    if ours != theirs:
        differ = sorted(
            f"{app} (backup {', '.join(theirs.get(app, [])) or 'none'}, "
            f"database {', '.join(ours.get(app, [])) or 'none'})"
            for app in set(ours) | set(theirs)
            if ours.get(app) != theirs.get(app)
        )
        raise BackupError(
            "The backup was made at other migrations than this database is at: "
            f"{'; '.join(differ)}. Migrate to the backup's state first."
        )


def existing_data():
    """{label: rows} of what the database holds beyond what migrations create (the
    role groups)."""
    found = {}
    for part in PARTS:
        queryset = part.model._base_manager.all()
        if part.label == "auth.Group":
            queryset = queryset.exclude(name__in=ROLES)
        rows = queryset.count()
        if rows:
            found[part.key] = rows
    return found


def check_empty():
    found = existing_data()
    if found:
        listed = ", ".join(f"{label} {rows}" for label, rows in found.items())
        raise BackupError(
            f"The database already holds data: {listed}. A restore goes into a freshly "
            "migrated, empty database, so that two portals are never mixed."
        )


def _load_objects(objects):
    deferred = []
    for item in serializers.deserialize("python", objects, handle_forward_references=True):
        # Raw saves keep auto_now times; the flag keeps simple-history from recording the
        # clause-set changes of the restore.
        item.object.skip_history_when_saving = True
        item.save()
        if item.deferred_fields:
            deferred.append(item)
    for item in deferred:
        item.save_deferred_fields()


def import_portal(path):
    """Restore the backup in `path` into this empty, migrated database, all or nothing.
    Returns the counts per model."""
    backup = read_backup(path)
    try:
        with transaction.atomic():
            check_migrations(backup)
            check_empty()
            _load_objects(backup["objects"])
            # Role groups the migrations made but the backed-up portal no longer has.
            Group = apps.get_model("auth", "Group")
            names = {
                obj["fields"]["name"] for obj in backup["objects"] if obj["model"] == "auth.group"
            }
            Group.objects.exclude(name__in=names).delete()
            models = [part.model for part in PARTS]
            tables = [model._meta.db_table for model in models]
            tables += [
                field.remote_field.through._meta.db_table
                for model in models
                for field in model._meta.many_to_many
            ]
            connection.check_constraints(table_names=tables)
            statements = connection.ops.sequence_reset_sql(no_style(), models)
            if statements:
                with connection.cursor() as cursor:
                    for sql in statements:
                        cursor.execute(sql)
    except BackupError:
        raise
    except (
        DeserializationError,
        FieldDoesNotExist,
        ObjectDoesNotExist,
        ValidationError,
        DatabaseError,
        KeyError,
        TypeError,
        ValueError,
    ) as exc:
        raise BackupError(f"{path} could not be restored: {exc}") from None
    return {part.key: backup["counts"].get(part.key, 0) for part in PARTS}
