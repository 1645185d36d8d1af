"""The portal's roles, as Django groups with fixed permission sets.

Regulator: reads everything. Negotiator: reads and exports gap reports. Editor (staff):
maintains standards, clauses, mappings, limits and parameters in the admin. Administrator
(staff): everything an editor can, plus users and groups.
"""

from django.apps import apps as global_apps

REGULATOR = "Regulator"
NEGOTIATOR = "Negotiator"
EDITOR = "Editor"
ADMINISTRATOR = "Administrator"
ROLES = (REGULATOR, NEGOTIATOR, EDITOR, ADMINISTRATOR)

# Roles that work in the admin and therefore need is_staff.
STAFF_ROLES = (EDITOR, ADMINISTRATOR)

DOMAIN_MODELS = (
    "standard",
    "clause",
    "clausemapping",
    "limit",
    "parameter",
    "glossaryterm",
    "round",
    "decision",
    "actionitem",
    "pathway",
    "milestone",
    "establishment",
    "sitevisit",
    "visitteammember",
    "visitedsite",
    "checklistitem",
    "finding",
    "correctiveaction",
    "zone",
    "zoneunit",
    "zonedecision",
    "catalogueentry",
    "cataloguecondition",
)
READ = [
    ("standards", f"view_{model}")
    for model in (
        *DOMAIN_MODELS,
        "negotiationnote",
        "baseline",
        "reviewflag",
        # Written when an establishment's status changes; never edited.
        "establishmentstatuschange",
    )
]
EXPORT = [("standards", "export_report")]
# Negotiation notes are append-only: adding is the only write.
NOTE = [("standards", "add_negotiationnote")]
EDIT = [
    ("standards", f"{action}_{model}")
    for model in DOMAIN_MODELS
    for action in ("add", "change", "delete")
] + [
    ("standards", "add_baseline"),  # closing a round; a baseline is never changed
    ("standards", "change_reviewflag"),  # clearing a flag after re-review
]
MANAGE_USERS = [
    ("auth", f"{action}_{model}")
    for model in ("user", "group")
    for action in ("view", "add", "change", "delete")
] + [("standards", f"{action}_delegationmember") for action in ("view", "add", "change", "delete")]
# Every user manages their own watches on /watches/ (no permission needed there);
# administrators may look at everyone's in the admin, to help.
MANAGE_USERS += [
    ("standards", f"view_{model}") for model in ("watch", "watchpreference", "notification")
]

# Administrators watch the background worker's task results and the log-in attempts in
# the admin, and unlock accounts (deleting a lockout).
WATCH_TASKS = [
    ("django_tasks_database", "view_dbtaskresult"),
    ("axes", "view_accessattempt"),
    ("axes", "delete_accessattempt"),
    ("axes", "view_accesslog"),
    ("axes", "view_accessfailurelog"),
]

ROLE_PERMISSIONS = {
    REGULATOR: READ,
    NEGOTIATOR: READ + EXPORT + NOTE,
    EDITOR: READ + EXPORT + NOTE + EDIT,
    ADMINISTRATOR: READ + EXPORT + NOTE + EDIT + MANAGE_USERS + WATCH_TASKS,
}


def sync_roles(apps=global_apps, strict=True):
    """Create the role groups and give each exactly its permissions.

    Migrations call it with strict=False: an early migration runs before the models of
    later ones exist, so their permissions are skipped there and set by the migration
    that follows them (the last migration always syncs the roles again).
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for app_label, codename in perms:
            try:
                wanted.append(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )
            except Permission.DoesNotExist:
                if strict:
                    raise LookupError(f"permission {app_label}.{codename} does not exist") from None
        group.permissions.set(wanted)


def sync_roles_migration(apps, schema_editor):
    """The RunPython step of the migrations that change roles. Permissions are normally
    created after all migrations ran; the groups need them now."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_roles(apps, strict=False)
