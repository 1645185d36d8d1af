from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db import models
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from standards import establishments, pathway_data
from standards.admin_exchange import ExchangeAdminMixin
from standards.admin_forms import (
    CatalogueEntryForm,
    CorrectiveActionForm,
    EstablishmentForm,
    FindingForm,
    LimitForm,
    MappingForm,
    MilestoneForm,
    SiteVisitForm,
    ZoneDecisionForm,
)
from standards.exchange import (
    ClauseResource,
    EstablishmentResource,
    GlossaryResource,
    LimitResource,
    MappingResource,
    ParameterResource,
    StandardResource,
)
from standards.models import (
    ActionItem,
    CatalogueCondition,
    CatalogueEntry,
    ChecklistItem,
    Clause,
    ClauseMapping,
    CorrectiveAction,
    Decision,
    DelegationMember,
    Establishment,
    EstablishmentActivity,
    EstablishmentStatusChange,
    Finding,
    GlossaryTerm,
    Limit,
    Milestone,
    NegotiationNote,
    Notification,
    Parameter,
    Pathway,
    Round,
    SiteVisit,
    Standard,
    VisitedSite,
    VisitTeamMember,
    Watch,
    WatchPreference,
    Zone,
    ZoneDecision,
    ZoneUnit,
)
from standards.notes import notes_for_reader
from standards.services import set_mappings
from standards.translated import field_names
from standards.versioning import VERSION_FIELD, VersionedAdmin, VersionedForm

admin.site.site_header = _("KZ–CN meat requirements: back office")
admin.site.site_title = _("KZ–CN requirements admin")
admin.site.index_title = _("Standards, clauses, mappings and limits")

# Source links are web addresses; a bare host name typed by staff means https.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


# The portal page an editor came from (`?next=/pairs/<key>/`): after saving, the editor
# returns there. The change form posts to its own address, query string and all, so the
# parameter survives a validation error; "Save and continue" carries it on.
RETURN_PARAMETER = "next"


def safe_return(request):
    """The `next` address of the request if it is a page of this site, else None."""
    target = request.GET.get(RETURN_PARAMETER, "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


class ReturnToPortalMixin:
    """After saving, back to the portal page the change form was opened from."""

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        target = safe_return(request)
        if target is None or not isinstance(response, HttpResponseRedirect):
            return response
        if "_continue" in request.POST or "_addanother" in request.POST:
            separator = "&" if "?" in response["Location"] else "?"
            response["Location"] += separator + urlencode({RETURN_PARAMETER: target})
            return response
        if "_saveasnew" in request.POST:
            return response
        return HttpResponseRedirect(target)


@admin.register(Parameter)
class ParameterAdmin(VersionedAdmin, ExchangeAdminMixin, SimpleHistoryAdmin):
    resource_classes = [ParameterResource]
    form = VersionedForm
    list_display = ["name_en", "name_ru", "name_kk", "name_zh", "unit", "key"]
    search_fields = ["key", "name_en", "name_ru", "name_kk", "name_zh"]


class ClauseInline(admin.TabularInline):
    model = Clause
    form = VersionedForm
    fields = ["reference", "heading", "topic", "product_scope", "confidence", VERSION_FIELD]
    extra = 0
    show_change_link = True
    ordering = ["reference"]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(VersionedAdmin, ExchangeAdminMixin, SimpleHistoryAdmin):
    """The portal's terminology in four languages; search finds a concept by any form."""

    resource_classes = [GlossaryResource]
    form = VersionedForm
    list_display = ["term_en", "term_ru", "term_kk", "term_zh", "category", "key"]
    list_filter = ["category"]
    search_fields = ["key", "term_en", "term_ru", "term_kk", "term_zh", "variants"]


@admin.register(Standard)
class StandardAdmin(VersionedAdmin, ExchangeAdminMixin, SimpleHistoryAdmin):
    resource_classes = [StandardResource]
    form = VersionedForm
    list_display = [
        "code",
        "title_en",
        "jurisdiction",
        "kind",
        "status",
        "effective",
        "clause_count",
    ]
    list_filter = ["jurisdiction", "kind", "status", "product_scope", "in_sheet"]
    search_fields = ["key", "code", "title_en", "title_original", "issuing_body"]
    autocomplete_fields = ["supersedes"]
    formfield_overrides = URL_FIELDS
    inlines = [ClauseInline]
    fieldsets = [
        (None, {"fields": ["key", "jurisdiction", "code", "kind", "status", "status_note"]}),
        (
            _("Title"),
            {"fields": ["title_en", "title_original", "title_language", "binding_language"]},
        ),
        (
            _("Working translations (not official texts)"),
            {"fields": field_names("title")[1:], "classes": ["collapse"]},
        ),
        (
            _("Issue and dates"),
            {
                "fields": [
                    "edition",
                    "effective",
                    "dates_note",
                    "supersedes",
                ]
            },
        ),
        (_("Scope"), {"fields": ["product_scope", "scope_note"]}),
        (
            _("Official citation"),
            {"fields": ["issuing_body", "adopted", "official_publisher", "official_url"]},
        ),
        (
            _("Where the text was read (internal provenance)"),
            {"fields": ["source", "source_url", "in_sheet"], "classes": ["collapse"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(clause_total=Count("clauses"))

    @admin.display(description=_("clauses"), ordering="clause_total")
    def clause_count(self, obj):
        return obj.clause_total


class LimitInline(admin.TabularInline):
    model = Limit
    form = LimitForm
    fields = [
        "position",
        "parameter",
        "notation",
        *LimitForm.FIGURE_FIELDS,
        "note",
        "evidence",
        "evidence_note",
        VERSION_FIELD,
    ]
    autocomplete_fields = ["parameter"]
    extra = 0


@admin.register(Clause)
class ClauseAdmin(VersionedAdmin, ExchangeAdminMixin, SimpleHistoryAdmin):
    resource_classes = [ClauseResource]
    form = VersionedForm
    list_display = [
        "__str__",
        "heading",
        "jurisdiction",
        "topic",
        "product_scope",
        "species",
        "confidence",
    ]
    list_filter = [
        ("standard__jurisdiction", admin.ChoicesFieldListFilter),
        "topic",
        "product_scope",
        "species",
        "confidence",
    ]
    list_select_related = ["standard"]
    search_fields = [
        "standard__code",
        "reference",
        "heading",
        "text_en",
        "text_original",
        "citation",
    ]
    autocomplete_fields = ["standard", "parent"]
    formfield_overrides = URL_FIELDS
    inlines = [LimitInline]
    fieldsets = [
        (None, {"fields": ["standard", "reference", "parent", "heading"]}),
        (_("Text"), {"fields": ["text_en", "text_original", "original_language"]}),
        (
            _("Working translations (not official texts)"),
            {
                "fields": [*field_names("heading")[1:], "text_ru", "text_kk", "text_zh"],
                "classes": ["collapse"],
            },
        ),
        (_("Scope"), {"fields": ["product_scope", "species", "topic"]}),
        (_("Source"), {"fields": ["confidence", "citation", "source_url"]}),
    ]

    @admin.display(description=_("jurisdiction"), ordering="standard__jurisdiction")
    def jurisdiction(self, obj):
        return obj.standard.get_jurisdiction_display()

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for limit_form in formset.forms:
            if hasattr(limit_form, "save_extra_limits") and limit_form.instance.pk:
                limit_form.save_extra_limits(form.instance)


class GapFilter(admin.SimpleListFilter):
    title = _("gap")
    parameter_name = "gap"

    def lookups(self, request, model_admin):
        return [
            ("kz", _("No Kazakh clause")),
            ("cn", _("No Chinese clause")),
            ("none", _("Both sides present")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "kz":
            return queryset.filter(kz_clauses__isnull=True)
        if value == "cn":
            return queryset.filter(cn_clauses__isnull=True)
        if value == "none":
            return queryset.filter(kz_clauses__isnull=False, cn_clauses__isnull=False).distinct()
        return queryset


class JurisdictionFilter(admin.SimpleListFilter):
    """Mappings that cite a document of the chosen jurisdiction on either side."""

    title = _("jurisdiction of a cited document")
    parameter_name = "jurisdiction"

    def lookups(self, request, model_admin):
        return Standard.Jurisdiction.choices

    def queryset(self, request, queryset):
        value = self.value()
        if value not in Standard.Jurisdiction.values:
            return queryset
        return queryset.matching(jurisdiction=value)


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Required when the action changes the status or the alignment."),
    )


def _bulk_set(field, value, label):
    def action(modeladmin, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if not reason:
            modeladmin.message_user(
                request,
                _("Give a reason for changing the %(field)s; nothing was changed.")
                % {"field": ClauseMapping._meta.get_field(field).verbose_name},
                messages.ERROR,
            )
            return
        updated = set_mappings(queryset, field, value, user=request.user, reason=reason)
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d mapping set to “%(label)s”.",
                "%(count)d mappings set to “%(label)s”.",
                updated,
            )
            % {"count": updated, "label": label},
            messages.SUCCESS,
        )

    action.__name__ = f"set_{field}_{value}"
    action.allowed_permissions = ("change",)
    action.short_description = format_lazy(
        _("Set {field}: {label}"),
        field=ClauseMapping._meta.get_field(field).verbose_name,
        label=label,
    )
    return action


@admin.register(ClauseMapping)
class ClauseMappingAdmin(
    ReturnToPortalMixin, VersionedAdmin, ExchangeAdminMixin, SimpleHistoryAdmin
):
    resource_classes = [MappingResource]
    list_display = [
        "key",
        "title",
        "product_group",
        "topic",
        "alignment",
        "status",
        "confidence",
        "updated_at",
    ]
    list_display_links = ["key", "title"]
    list_filter = [
        "product_group",
        "topic",
        "alignment",
        "status",
        "confidence",
        "responsible_side",
        GapFilter,
        JurisdictionFilter,
    ]
    list_select_related = ["updated_by"]
    search_fields = [
        "key",
        "title",
        "rationale",
        "kz_clauses__reference",
        "kz_clauses__standard__code",
        "kz_clauses__text_en",
        "kz_clauses__text_original",
        "cn_clauses__reference",
        "cn_clauses__standard__code",
        "cn_clauses__text_en",
        "cn_clauses__text_original",
    ]
    autocomplete_fields = ["kz_clauses", "cn_clauses", "reference_clauses"]
    readonly_fields = ["sheet_row", "created_at", "updated_at", "updated_by"]
    date_hierarchy = "updated_at"
    form = MappingForm
    action_form = ReasonActionForm

    class Media:
        css = {"all": ["portal/admin.css"]}

    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["key", "title", "product_group", "topic", "confidence"]}),
        (_("Clauses"), {"fields": ["kz_clauses", "cn_clauses", "reference_clauses"]}),
        (
            _("Evidence of each side"),
            {"fields": ["kz_evidence", "kz_evidence_note", "cn_evidence", "cn_evidence_note"]},
        ),
        (
            _("Assessment and negotiation"),
            {"fields": list(ClauseMapping.ASSESSMENT_FIELDS)},
        ),
        (
            _("Working translations (not official texts)"),
            {
                "fields": [
                    *field_names("title")[1:],
                    *field_names("rationale")[1:],
                    *field_names("proposed_action")[1:],
                ],
                "classes": ["collapse"],
            },
        ),
        (
            _("Record"),
            {
                "fields": ["notes", "sheet_row", "created_at", "updated_at", "updated_by"],
                "classes": ["collapse"],
            },
        ),
    ]
    actions = [
        _bulk_set("status", value, label) for value, label in ClauseMapping.Status.choices
    ] + [_bulk_set("alignment", value, label) for value, label in ClauseMapping.Alignment.choices]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return [
            *fieldsets,
            (_("Reason for this change"), {"fields": ["change_reason"]}),
        ]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        obj._change_reason = form.cleaned_data.get("change_reason", "")
        super().save_model(request, obj, form, change)


@admin.register(Limit)
class LimitAdmin(ReturnToPortalMixin, VersionedAdmin, ExchangeAdminMixin, SimpleHistoryAdmin):
    resource_classes = [LimitResource]
    form = LimitForm
    list_display = ["clause", "parameter", "kind", "notation_display"]
    list_filter = [
        "kind",
        ("clause__standard__jurisdiction", admin.ChoicesFieldListFilter),
        "clause__topic",
    ]
    list_select_related = ["clause__standard", "parameter"]
    search_fields = [
        "parameter__name_en",
        "parameter__name_ru",
        "parameter__name_zh",
        "parameter__name_kk",
        "clause__reference",
        "clause__standard__code",
        "qualifier",
    ]
    autocomplete_fields = ["clause", "parameter"]

    fieldsets = [
        (None, {"fields": ["clause", "parameter", "notation"]}),
        (
            _("Figures"),
            {"fields": ["kind", "value", "upper_value", "unit", "strict"]},
        ),
        (_("Sampling plan"), {"fields": ["plan_n", "plan_c", "plan_m", "plan_big_m"]}),
        (_("Applies to"), {"fields": ["basis", "qualifier", "matrix", "note", "position"]}),
        (_("Evidence"), {"fields": ["evidence", "evidence_note"]}),
    ]

    @admin.display(description=_("limit"))
    def notation_display(self, obj):
        return str(obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        form.save_extra_limits(obj.clause)


@admin.register(NegotiationNote)
class NegotiationNoteAdmin(admin.ModelAdmin):
    """Read-only: notes are added on the pair page and never edited or deleted."""

    list_display = ["mapping", "date", "side", "visibility", "meeting", "author", "corrects"]
    list_filter = ["side", "visibility", "date"]
    list_select_related = ["mapping", "author", "corrects__mapping"]
    search_fields = ["mapping__key", "meeting", "text"]

    def get_queryset(self, request):
        # The back office follows the same rule as the pair page: the other delegation's
        # internal notes are not shown to anyone.
        return notes_for_reader(super().get_queryset(request), request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DelegationMember)
class DelegationMemberAdmin(admin.ModelAdmin):
    """Which delegation each user belongs to (the internal notes they read)."""

    list_display = ["user", "delegation"]
    list_filter = ["delegation"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]


class DecisionInline(admin.StackedInline):
    model = Decision
    fields = ["position", "text", "outcome", "mappings"]
    autocomplete_fields = ["mappings"]
    extra = 0


class ActionItemInline(admin.StackedInline):
    model = ActionItem
    form = VersionedForm
    fields = [
        "what",
        "owner_side",
        "responsible_body",
        "due_on",
        "status",
        "evidence",
        "mappings",
        VERSION_FIELD,
    ]
    autocomplete_fields = ["mappings"]
    extra = 0
    show_change_link = True


@admin.register(Round)
class RoundAdmin(VersionedAdmin, SimpleHistoryAdmin):
    """A round of the talks: delegations, agenda, minutes, decisions and action items."""

    form = VersionedForm
    list_display = ["number", "title", "starts_on", "ends_on", "place", "format", "confidence"]
    list_filter = ["format", "confidence"]
    search_fields = ["title", "place", "kz_head", "cn_head", "summary", "source"]
    autocomplete_fields = ["agenda"]
    inlines = [DecisionInline, ActionItemInline]
    fieldsets = [
        (None, {"fields": ["number", "title", "format", "place"]}),
        (_("Dates"), {"fields": ["starts_on", "ends_on", "dates_note"]}),
        (
            _("Delegations"),
            {"fields": ["kz_head", "kz_delegation", "cn_head", "cn_delegation"]},
        ),
        (_("Agenda and minutes"), {"fields": ["agenda", "summary"]}),
        (_("Source"), {"fields": ["source", "confidence"]}),
    ]


@admin.register(ActionItem)
class ActionItemAdmin(VersionedAdmin, SimpleHistoryAdmin):
    form = VersionedForm
    list_display = ["what", "round", "owner_side", "responsible_body", "due_on", "status"]
    list_filter = ["status", "owner_side", "due_on"]
    list_select_related = ["round"]
    search_fields = ["what", "responsible_body", "evidence", "round__title"]
    autocomplete_fields = ["round", "mappings"]
    fieldsets = [
        (None, {"fields": ["round", "what", "owner_side", "responsible_body", "due_on"]}),
        (_("Outcome"), {"fields": ["status", "evidence"]}),
        (_("Mappings"), {"fields": ["mappings"]}),
    ]


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Users manage their own on /watches/ and /notifications/; administrators look."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Watch)
class WatchAdmin(_ReadOnlyAdmin):
    list_display = ["user", "kind", "mapping", "topic", "standard", "round", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["user", "mapping", "standard", "round"]
    search_fields = ["user__username"]


@admin.register(WatchPreference)
class WatchPreferenceAdmin(_ReadOnlyAdmin):
    list_display = ["user", "frequency", "email", "language", "last_sent_at"]
    list_filter = ["frequency", "email", "language"]
    list_select_related = ["user"]
    search_fields = ["user__username"]


@admin.register(Notification)
class NotificationAdmin(_ReadOnlyAdmin):
    list_display = ["user", "subject", "created_at", "read_at", "emailed"]
    list_filter = ["emailed"]
    list_select_related = ["user"]
    search_fields = ["user__username", "subject"]
    date_hierarchy = "created_at"


# A milestone's fields, as the data file names them (standards.pathway_data).
MILESTONE_FIELDS = list(pathway_data.MILESTONE_FIELDS)


class MilestoneInline(admin.StackedInline):
    model = Milestone
    form = MilestoneForm
    fields = [*MILESTONE_FIELDS, "change_reason", VERSION_FIELD]
    extra = 0
    show_change_link = True


@admin.register(Pathway)
class PathwayAdmin(VersionedAdmin, SimpleHistoryAdmin):
    """A market-access pathway: the product line, the mappings that must be settled, the
    rounds, and its milestones. An editor's save takes it (and its milestones) out of the
    reference loader's hands."""

    form = VersionedForm
    list_display = ["key", "title", "species", "processing_form", "confidence"]
    list_filter = ["species", "processing_form", "confidence"]
    search_fields = ["key", "title", "zone", "summary", "source"]
    prepopulated_fields = {"key": ["title"]}
    autocomplete_fields = ["mappings", "rounds", "zones"]
    inlines = [MilestoneInline]
    fieldsets = [
        (None, {"fields": ["key", "title", "species", "processing_form", "zone", "summary"]}),
        (_("Mappings and rounds"), {"fields": ["mappings", "rounds", "zones"]}),
        (_("Source"), {"fields": ["source", "confidence"]}),
    ]

    def save_model(self, request, obj, form, change):
        obj.from_dataset = False
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.has_changed():
                inline_form.instance.from_dataset = False
                inline_form.instance._change_reason = inline_form.cleaned_data.get(
                    "change_reason", ""
                )
        super().save_formset(request, form, formset, change)


@admin.register(Milestone)
class MilestoneAdmin(VersionedAdmin, SimpleHistoryAdmin):
    form = MilestoneForm
    list_display = ["pathway", "stage", "status", "owner_side", "target_date", "actual_date"]
    list_filter = ["status", "stage", "owner_side"]
    list_select_related = ["pathway"]
    search_fields = ["pathway__key", "pathway__title", "evidence", "citation", "slip_reason"]
    autocomplete_fields = ["pathway"]
    fieldsets = [
        (None, {"fields": ["pathway", "stage", "status", "owner_side", "responsible_body"]}),
        (
            _("Dates"),
            {"fields": ["baseline_date", "target_date", "actual_date", "dates_note"]},
        ),
        (_("Evidence"), {"fields": ["evidence", "citation", "slip_reason"]}),
        (_("Source"), {"fields": ["source", "confidence"]}),
        (_("Reason for this change"), {"fields": ["change_reason"]}),
    ]

    def save_model(self, request, obj, form, change):
        obj.from_dataset = False
        obj._change_reason = form.cleaned_data.get("change_reason", "")
        super().save_model(request, obj, form, change)


class ActivityFilter(admin.SimpleListFilter):
    title = _("activity")
    parameter_name = "activity"

    def lookups(self, request, model_admin):
        return EstablishmentActivity.choices

    def queryset(self, request, queryset):
        if self.value() in EstablishmentActivity.values:
            return establishments.with_activity(queryset, self.value())
        return queryset


class StatusChangeInline(admin.TabularInline):
    """The status history: written when the establishment is saved with a new status,
    never edited."""

    model = EstablishmentStatusChange
    fields = [
        "recorded_at",
        "previous_status",
        "status",
        "date",
        "reason",
        "evidence",
        "citation",
        "recorded_by",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-recorded_at", "-pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Establishment)
class EstablishmentAdmin(VersionedAdmin, ExchangeAdminMixin, SimpleHistoryAdmin):
    """The establishment register. Import and export through the checked spreadsheet
    path; a change of status needs a reason and enters the status history."""

    resource_classes = [EstablishmentResource]
    form = EstablishmentForm
    list_display = [
        "name",
        "kz_approval_number",
        "cn_registration_number",
        "region",
        "status",
        "listing_date",
        "expires_on",
        "confidence",
    ]
    list_filter = ["status", "region", ActivityFilter, "review_method", "confidence"]
    search_fields = ["key", "name", "kz_approval_number", "cn_registration_number", "source"]
    prepopulated_fields = {"key": ["name"]}
    readonly_fields = ["expires_on", "renewal_opens_on", "renewal_closes_on"]
    inlines = [StatusChangeInline]
    fieldsets = [
        (
            None,
            {"fields": ["key", "name", "kz_approval_number", "cn_registration_number", "region"]},
        ),
        (_("Activities and products"), {"fields": ["activities", "products"]}),
        (
            _("Registration"),
            {
                "fields": [
                    "recommended_on",
                    "review_method",
                    "listing_date",
                    "expires_on",
                    "renewal_opens_on",
                    "renewal_closes_on",
                    "renewal_filed_on",
                    "dates_note",
                ]
            },
        ),
        (
            _("Status"),
            {"fields": ["status", "status_since", "status_evidence", "status_citation"]},
        ),
        (_("Source"), {"fields": ["source", "confidence"]}),
        (_("Reason for this change"), {"fields": ["change_reason"]}),
    ]

    def save_model(self, request, obj, form, change):
        obj._change_reason = form.cleaned_data.get("change_reason", "")
        super().save_model(request, obj, form, change)


class _ReasonedSaveMixin:
    """Keeps the form's reason with the change in the history, for the record and for
    each changed inline row that asks for one."""

    def save_model(self, request, obj, form, change):
        obj._change_reason = form.cleaned_data.get("change_reason", "")
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.has_changed():
                inline_form.instance._change_reason = inline_form.cleaned_data.get(
                    "change_reason", ""
                )
        super().save_formset(request, form, formset, change)


class VisitTeamMemberInline(admin.TabularInline):
    model = VisitTeamMember
    form = VersionedForm
    fields = ["name", "organisation", "role", "side", VERSION_FIELD]
    extra = 0


class VisitedSiteInline(admin.TabularInline):
    model = VisitedSite
    form = VersionedForm
    fields = [
        "site_type",
        "name",
        "region",
        "visited_on",
        "approval_number",
        "china_registration_number",
        VERSION_FIELD,
    ]
    extra = 0


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    form = VersionedForm
    fields = ["position", "requirement", "topic", "pvs_competency", "clause", VERSION_FIELD]
    autocomplete_fields = ["clause"]
    extra = 0


class FindingInline(admin.StackedInline):
    model = Finding
    form = FindingForm
    fields = [
        "text",
        "severity",
        "site",
        "raised_on",
        "report_reference",
        "clauses",
        "mappings",
        "change_reason",
        VERSION_FIELD,
    ]
    autocomplete_fields = ["clauses", "mappings"]
    extra = 0
    show_change_link = True


@admin.register(SiteVisit)
class SiteVisitAdmin(_ReasonedSaveMixin, VersionedAdmin, SimpleHistoryAdmin):
    """A site visit or audit: scope, team, sites, checklist and findings (their
    corrective actions on each finding's page). An editor's save takes it out of the
    reference loader's hands."""

    form = SiteVisitForm
    list_display = ["key", "title", "status", "inspecting_body", "actual_start", "dates_note"]
    list_filter = ["status", "purpose", "format", "findings_state", "confidence"]
    search_fields = ["key", "title", "inspecting_body", "scope", "outcome", "source"]
    prepopulated_fields = {"key": ["title"]}
    autocomplete_fields = ["pathways", "rounds", "milestone", "follow_up_of"]
    inlines = [VisitTeamMemberInline, VisitedSiteInline, ChecklistItemInline, FindingInline]
    fieldsets = [
        (None, {"fields": ["key", "title", "legal_basis", "purpose", "format", "status"]}),
        (_("Scope"), {"fields": ["scope", "diseases", "products", "zones"]}),
        (_("Bodies"), {"fields": ["requesting_body", "inspecting_body", "host_authority"]}),
        (
            _("Dates"),
            {
                "fields": [
                    "planned_start",
                    "planned_end",
                    "actual_start",
                    "actual_end",
                    "dates_note",
                ]
            },
        ),
        (
            _("Report and outcome"),
            {
                "fields": [
                    "findings_state",
                    "report_draft_date",
                    "report_comments_date",
                    "report_final_date",
                    "outcome",
                    "outcome_citation",
                ]
            },
        ),
        (_("Links"), {"fields": ["pathways", "milestone", "rounds", "follow_up_of"]}),
        (_("Source"), {"fields": ["source", "confidence"]}),
        (_("Reason for this change"), {"fields": ["change_reason"]}),
    ]

    def save_model(self, request, obj, form, change):
        obj.from_dataset = False
        super().save_model(request, obj, form, change)


class CorrectiveActionInline(admin.StackedInline):
    model = CorrectiveAction
    form = CorrectiveActionForm
    fields = [
        "action",
        "owner_side",
        "owner_body",
        "owner_person",
        "deadline",
        "status",
        "evidence",
        "verification_method",
        "verified_by",
        "closed_on",
        "change_reason",
        VERSION_FIELD,
    ]
    extra = 0
    show_change_link = True


@admin.register(Finding)
class FindingAdmin(_ReasonedSaveMixin, VersionedAdmin, SimpleHistoryAdmin):
    """A finding of a visit, with its corrective-action plan."""

    form = FindingForm
    list_display = ["visit", "severity", "raised_on", "report_reference"]
    list_filter = ["severity"]
    list_select_related = ["visit"]
    search_fields = ["text", "report_reference", "visit__key", "visit__title"]
    autocomplete_fields = ["visit", "site", "clauses", "mappings"]
    inlines = [CorrectiveActionInline]
    fieldsets = [
        (None, {"fields": ["visit", "text", "severity", "site", "raised_on", "report_reference"]}),
        (_("Clauses and mappings"), {"fields": ["clauses", "mappings"]}),
        (_("Reason for this change"), {"fields": ["change_reason"]}),
    ]


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(_ReasonedSaveMixin, VersionedAdmin, SimpleHistoryAdmin):
    form = CorrectiveActionForm
    list_display = ["action", "finding", "owner_side", "owner_body", "deadline", "status"]
    list_filter = ["status", "owner_side", "verification_method"]
    list_select_related = ["finding__visit"]
    search_fields = ["action", "owner_body", "owner_person", "evidence", "finding__text"]
    autocomplete_fields = ["finding"]
    fieldsets = [
        (
            None,
            {"fields": ["finding", "action", "owner_side", "owner_body", "owner_person"]},
        ),
        (_("Deadline and status"), {"fields": ["deadline", "status"]}),
        (
            _("Closure"),
            {"fields": ["evidence", "verification_method", "verified_by", "closed_on"]},
        ),
        (_("Reason for this change"), {"fields": ["change_reason"]}),
    ]


@admin.register(VisitedSite)
class VisitedSiteAdmin(VersionedAdmin, SimpleHistoryAdmin):
    """Registered for the finding's site look-up; sites are entered on their visit."""

    form = VersionedForm
    list_display = ["name", "site_type", "region", "visited_on", "visit"]
    list_filter = ["site_type", "region"]
    list_select_related = ["visit"]
    search_fields = ["name", "approval_number", "china_registration_number", "visit__key"]
    autocomplete_fields = ["visit"]


class _TakenFromDataset:
    """An editor's save takes the record out of the reference loader's hands and keeps
    the form's reason with the change."""

    def save_model(self, request, obj, form, change):
        obj.from_dataset = False
        obj._change_reason = form.cleaned_data.get("change_reason", "")
        super().save_model(request, obj, form, change)


class ZoneUnitInline(admin.TabularInline):
    model = ZoneUnit
    extra = 0


@admin.register(Zone)
class ZoneAdmin(_TakenFromDataset, VersionedAdmin, SimpleHistoryAdmin):
    """A disease zone and its administrative units; its decisions are edited on their
    own page, where a decisive change needs a reason."""

    form = VersionedForm
    list_display = ["key", "name", "whole_country", "confidence"]
    list_filter = ["whole_country", "confidence"]
    search_fields = ["key", "name", "description", "source"]
    prepopulated_fields = {"key": ["name"]}
    inlines = [ZoneUnitInline]
    fieldsets = [
        (None, {"fields": ["key", "name", "description", "whole_country"]}),
        (_("Source"), {"fields": ["source", "confidence"]}),
    ]


@admin.register(ZoneDecision)
class ZoneDecisionAdmin(_TakenFromDataset, VersionedAdmin, SimpleHistoryAdmin):
    form = ZoneDecisionForm
    list_display = ["zone", "disease", "kind", "citation", "decided_on", "year", "lifted_on"]
    list_filter = ["disease", "kind", "confidence"]
    list_select_related = ["zone"]
    search_fields = ["zone__key", "zone__name", "status", "citation", "note"]
    autocomplete_fields = ["zone"]
    fieldsets = [
        (None, {"fields": ["zone", "disease", "kind", "status", "citation"]}),
        (_("Dates"), {"fields": ["decided_on", "year", "dates_note", "lifted_on", "lifted_by"]}),
        (_("Source"), {"fields": ["note", "source", "confidence"]}),
        (_("Reason for this change"), {"fields": ["change_reason"]}),
    ]


class CatalogueConditionInline(admin.TabularInline):
    model = CatalogueCondition
    form = VersionedForm
    fields = ["parameter", "kind", "value", "upper_value", "unit", "strict", "qualifier", "source"]
    autocomplete_fields = ["parameter"]
    extra = 0


@admin.register(CatalogueEntry)
class CatalogueEntryAdmin(_TakenFromDataset, VersionedAdmin, SimpleHistoryAdmin):
    form = CatalogueEntryForm
    list_display = ["key", "product", "species", "processing_form", "status", "revision"]
    list_filter = ["status", "species", "processing_form", "confidence"]
    search_fields = ["key", "product", "hs_code", "protocol", "announcement", "source"]
    prepopulated_fields = {"key": ["product"]}
    autocomplete_fields = ["zones", "pathway"]
    inlines = [CatalogueConditionInline]
    fieldsets = [
        (None, {"fields": ["key", "product", "hs_code", "species", "processing_form"]}),
        (_("Status"), {"fields": ["status", "status_note", "zones", "pathway"]}),
        (_("Legal basis"), {"fields": ["protocol", "announcement", "certificate"]}),
        (_("Dates"), {"fields": ["effective_on", "closing_on", "dates_note"]}),
        (_("Source"), {"fields": ["source", "confidence"]}),
        (_("Reason for this change"), {"fields": ["change_reason"]}),
    ]


@admin.register(CatalogueCondition)
class CatalogueConditionAdmin(VersionedAdmin, SimpleHistoryAdmin):
    form = VersionedForm
    list_display = ["entry", "parameter", "kind", "value", "unit"]
    list_select_related = ["entry", "parameter"]
    search_fields = ["entry__key", "entry__product", "parameter__key", "qualifier"]
    autocomplete_fields = ["entry", "parameter"]
