from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Language(models.TextChoices):
    RUSSIAN = "ru", _("Russian")
    KAZAKH = "kk", _("Kazakh")
    CHINESE = "zh", _("Chinese")
    ENGLISH = "en", _("English")


class ProductScope(models.TextChoices):
    CHILLED = "chilled", _("Chilled meat")
    HEAT_TREATED = "heat_treated", _("Heat-treated meat")
    BOTH = "both", _("Chilled and heat-treated")


class Topic(models.TextChoices):
    MICROBIOLOGY = "microbiology", _("Microbiology")
    CONTAMINANTS = "contaminants", _("Contaminants")
    RESIDUES = "residues", _("Veterinary drug and pesticide residues")
    PHYSICO_CHEMICAL = "physico_chemical", _("Physico-chemical indicators")
    ADDITIVES = "additives", _("Food additives")
    COLD_CHAIN = "cold_chain", _("Temperature and cold chain")
    HEAT_TREATMENT = "heat_treatment", _("Heat treatment")
    ANIMAL_HEALTH = "animal_health", _("Animal health and disease freedom")
    CERTIFICATION = "certification", _("Certification")
    ESTABLISHMENT_REGISTRATION = "establishment_registration", _("Establishment registration")
    LABELLING = "labelling", _("Labelling")
    PACKAGING = "packaging", _("Packaging")
    TRANSPORT = "transport", _("Transport")
    TRACEABILITY = "traceability", _("Traceability")
    INSPECTION = "inspection", _("Inspection")


class Confidence(models.TextChoices):
    """How firmly the source supports a record: read in the legal text, a secondary source,
    or an unverified pointer. Shown as given; never upgraded without a source."""

    HIGH = "high", _("High — read in the legal text")
    MEDIUM = "medium", _("Medium — secondary source")
    LOW = "low", _("Low — unverified pointer")


class Evidence(models.TextChoices):
    """What a figure, or the absence of one, rests on. A verdict computed from the limits
    is no firmer than its weakest input (limits.compare): from a figure not read or an
    absence not checked it is provisional."""

    READ = "read", _("Read in the legal text")
    SECONDARY = "secondary", _("Secondary source")
    NOT_READ = "not_read", _("Not read (background, or known to exist but not read)")
    ABSENCE_VERIFIED = "absence_verified", _("Absence verified: the text was read and sets none")
    ABSENCE_UNCHECKED = "absence_unchecked", _("Absence not checked")


# The evidence a figure can have; an absence has one of the other two.
FIGURE_EVIDENCE = (Evidence.READ, Evidence.SECONDARY, Evidence.NOT_READ)
ABSENCE_EVIDENCE = (Evidence.ABSENCE_VERIFIED, Evidence.ABSENCE_UNCHECKED)
# The confidence a record can claim at most on this evidence.
CONFIDENCE_OF_EVIDENCE = {
    Evidence.READ: Confidence.HIGH,
    Evidence.ABSENCE_VERIFIED: Confidence.HIGH,
    Evidence.SECONDARY: Confidence.MEDIUM,
    Evidence.NOT_READ: Confidence.LOW,
    Evidence.ABSENCE_UNCHECKED: Confidence.LOW,
}
CONFIDENCE_RANK = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2}


class Parameter(models.Model):
    """A measured quantity that limits are set for (lead, Salmonella, core temperature)."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=200, blank=True)
    unit = models.CharField(_("canonical unit"), max_length=30, blank=True)
    family = models.SlugField(
        _("residue-definition family"),
        max_length=60,
        blank=True,
        help_text=_(
            "Parameters of one family measure related but differently defined residues "
            "(NDMA alone, NDMA + NDEA): their figures are never compared."
        ),
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("parameter")
        verbose_name_plural = _("parameters")

    def __str__(self):
        return self.name_en

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What the clauses' search texts were built from (standards.search_text).
        instance._loaded_names = tuple(instance.__dict__.get(f) for f in cls.NAME_FIELDS)
        return instance

    # Every name a parameter has, in the order the search text lists them.
    NAME_FIELDS = ("name_en", "name_ru", "name_zh", "name_kk")


class GlossaryCategory(models.TextChoices):
    PARAMETER = "parameter", _("Parameter")
    ALIGNMENT = "alignment", _("Alignment")
    STATUS = "status", _("Negotiation status")
    PRODUCT = "product", _("Product group")
    TOPIC = "topic", _("Topic")
    DOMAIN = "domain", _("Domain term")


class GlossaryTerm(models.Model):
    """One concept in the four working languages, with the other forms a reader may type
    (inflections, abbreviations, synonyms). Translators keep to these terms, and search
    finds a concept by any of its forms in every language (standards.search)."""

    Category = GlossaryCategory

    key = models.SlugField(_("key"), max_length=80, unique=True)
    category = models.CharField(_("category"), max_length=12, choices=GlossaryCategory)
    term_en = models.CharField(_("term (English)"), max_length=200)
    term_ru = models.CharField(_("term (Russian)"), max_length=200, blank=True)
    term_kk = models.CharField(_("term (Kazakh)"), max_length=200, blank=True)
    term_zh = models.CharField(_("term (Chinese)"), max_length=200, blank=True)
    variants = models.TextField(
        _("other forms"),
        blank=True,
        help_text=_("Forms a reader may type, in any language: one per line (свинца, Pb)."),
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()

    TERM_FIELDS = ("term_en", "term_ru", "term_kk", "term_zh")

    class Meta:
        ordering = ["category", "term_en"]
        verbose_name = _("glossary term")
        verbose_name_plural = _("glossary")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=GlossaryCategory.values), name="glossary_category_valid"
            ),
        ]

    def __str__(self):
        return self.term_en

    def forms(self):
        """Every form of the term, case-folded: the four terms and the variants."""
        texts = [getattr(self, name) for name in self.TERM_FIELDS]
        texts += self.variants.splitlines()
        return {" ".join(text.split()).casefold() for text in texts if text.strip()}


class StandardJurisdiction(models.TextChoices):
    KAZAKHSTAN = "kz", _("Kazakhstan / EAEU")
    CHINA = "cn", _("China")
    INTERNATIONAL = "intl", _("International reference")
    BILATERAL = "bilateral", _("Bilateral Kazakhstan–China")


class StandardKind(models.TextChoices):
    TECHNICAL_REGULATION = "technical_regulation", _("Technical regulation")
    NATIONAL_STANDARD = "national_standard", _("National standard")
    INTERSTATE_STANDARD = "interstate_standard", _("Interstate standard (GOST)")
    VETERINARY_REQUIREMENTS = "veterinary_requirements", _("Veterinary requirements")
    SANITARY_REQUIREMENTS = "sanitary_requirements", _("Sanitary requirements")
    DECREE = "decree", _("Decree, decision, order or announcement")
    BILATERAL_PROTOCOL = "bilateral_protocol", _("Bilateral protocol")
    INTERNATIONAL_CODE = "international_code", _("International code")


class StandardStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued, not yet in force")
    IN_FORCE = "in_force", _("In force")
    SUPERSEDED = "superseded", _("Superseded")
    REPEALED = "repealed", _("Repealed")
    LAPSED = "lapsed", _("Lapsed")
    UNVERIFIED = "unverified", _("Status not verified")
    SIGNED = "signed", _("Signed; entry into force not verified")


class Standard(models.Model):
    """A legal or normative document: regulation, standard, decree, protocol, code."""

    Jurisdiction = StandardJurisdiction
    Kind = StandardKind
    Status = StandardStatus

    key = models.SlugField(_("stable key"), max_length=80, unique=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=12, choices=Jurisdiction)
    code = models.CharField(_("code"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=500)
    title_original = models.CharField(_("title (original language)"), max_length=500, blank=True)
    # Working translations of the title (the original is title_original).
    title_ru = models.CharField(_("title (Russian)"), max_length=500, blank=True)
    title_kk = models.CharField(_("title (Kazakh)"), max_length=500, blank=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=500, blank=True)
    title_language = models.CharField(
        _("language of the original title"), max_length=2, choices=Language, blank=True
    )
    issuing_body = models.CharField(_("issuing body"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind)
    edition = models.CharField(_("edition"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status)
    status_note = models.CharField(_("status note"), max_length=500, blank=True)
    adopted = models.DateField(_("adopted on"), null=True, blank=True)
    effective = models.DateField(_("in force from"), null=True, blank=True)
    dates_note = models.CharField(_("dates as given by the source"), max_length=500, blank=True)
    supersedes = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="superseded_by",
        blank=True,
        verbose_name=_("supersedes"),
    )
    binding_language = models.CharField(
        _("legally binding language"), max_length=2, choices=Language, blank=True
    )
    product_scope = models.CharField(
        _("product scope"), max_length=12, choices=ProductScope, default=ProductScope.BOTH
    )
    scope_note = models.CharField(_("scope note"), max_length=300, blank=True)
    official_publisher = models.CharField(
        _("official publisher"),
        max_length=200,
        blank=True,
        help_text=_("Who officially publishes the text, e.g. the EAEU legal portal."),
    )
    official_url = models.URLField(
        _("official address"),
        max_length=500,
        blank=True,
        help_text=_("The official publisher's address of this document, where one is known."),
    )
    source = models.TextField(
        _("where the text was read (provenance)"),
        blank=True,
        help_text=_("Internal: the copies the team read. Never printed in a shared report."),
    )
    source_url = models.URLField(_("provenance URL"), max_length=500, blank=True)
    in_sheet = models.BooleanField(
        _("listed in the document register"),
        default=True,
        help_text=_("Off for documents cited by a requirement but not in the register."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[supersedes])

    class Meta:
        ordering = ["jurisdiction", "code"]
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        constraints = [
            models.UniqueConstraint(fields=["code"], name="standard_code_unique"),
            models.CheckConstraint(
                condition=Q(jurisdiction__in=StandardJurisdiction.values),
                name="standard_jurisdiction_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=StandardKind.values), name="standard_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=StandardStatus.values), name="standard_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(adopted__isnull=True)
                | Q(effective__isnull=True)
                | Q(effective__gte=F("adopted")),
                name="standard_effective_not_before_adopted",
            ),
        ]
        indexes = [
            # Standards list filtered by jurisdiction, kind and status.
            models.Index(fields=["jurisdiction", "kind", "status"], name="standard_filter_idx"),
        ]

    def __str__(self):
        return self.code

    def get_absolute_url(self):
        return reverse("standards:standard-detail", args=[self.key])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What the clauses' search texts were built from (standards.search_text).
        instance._loaded_code = instance.__dict__.get("code")
        return instance

    @property
    def is_current(self):
        return self.status in (self.Status.IN_FORCE, self.Status.ISSUED)


class ClauseQuerySet(models.QuerySet):
    def with_standard(self):
        """Clauses as lists show them: their document and their limits (2 queries)."""
        return self.select_related("standard").prefetch_related(
            models.Prefetch("limits", queryset=Limit.objects.select_related("parameter"))
        )


class ClauseSpecies(models.TextChoices):
    ALL = "", _("Not species-specific")
    BOVINE = "bovine", _("Cattle")
    OVINE = "ovine", _("Sheep")
    PORCINE = "porcine", _("Pigs")
    POULTRY = "poultry", _("Poultry")
    EQUINE = "equine", _("Horses")
    RUMINANT = "ruminant", _("Ruminants")


class Clause(models.Model):
    """One requirement-bearing part of a standard: an article, a table line, an annex item."""

    Species = ClauseSpecies

    standard = models.ForeignKey(
        Standard, on_delete=models.CASCADE, related_name="clauses", verbose_name=_("standard")
    )
    reference = models.CharField(
        _("clause reference"),
        max_length=200,
        help_text=_("Stable reference within the document, e.g. “3.3” or “Annex 1 item I.1(b)”."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent clause"),
    )
    heading = models.CharField(_("heading"), max_length=300, blank=True)
    heading_ru = models.CharField(_("heading (Russian)"), max_length=300, blank=True)
    heading_kk = models.CharField(_("heading (Kazakh)"), max_length=300, blank=True)
    heading_zh = models.CharField(_("heading (Chinese)"), max_length=300, blank=True)
    text_original = models.TextField(_("text (original language)"), blank=True)
    original_language = models.CharField(
        _("original language"), max_length=2, choices=Language, blank=True
    )
    text_en = models.TextField(_("text (English working translation)"), blank=True)
    # Working translations of the text into the other working languages; the text in the
    # original language is text_original (standards/translated.py picks one for a reader).
    text_ru = models.TextField(_("text (Russian working translation)"), blank=True)
    text_kk = models.TextField(_("text (Kazakh working translation)"), blank=True)
    text_zh = models.TextField(_("text (Chinese working translation)"), blank=True)
    product_scope = models.CharField(
        _("product scope"), max_length=12, choices=ProductScope, default=ProductScope.BOTH
    )
    species = models.CharField(
        _("species"), max_length=10, choices=Species, blank=True, default=Species.ALL
    )
    topic = models.CharField(_("topic"), max_length=30, choices=Topic)
    confidence = models.CharField(_("source confidence"), max_length=6, choices=Confidence)
    citation = models.TextField(_("source citation"), blank=True)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    search_text = models.TextField(
        _("search text"),
        blank=True,
        editable=False,
        help_text=_("Case-folded document code, reference, texts and parameter names."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = ClauseQuerySet.as_manager()
    # search_text is derived from the other fields; its changes are not history.
    history = HistoricalRecords(excluded_fields=["search_text"])

    class Meta:
        ordering = ["standard__code", "reference"]
        verbose_name = _("clause")
        verbose_name_plural = _("clauses")
        constraints = [
            models.UniqueConstraint(
                fields=["standard", "reference"], name="clause_reference_unique_in_standard"
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="clause_not_own_parent"),
            models.CheckConstraint(condition=Q(topic__in=Topic.values), name="clause_topic_valid"),
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values), name="clause_confidence_valid"
            ),
        ]
        indexes = [
            # Clause lists filtered by topic and product scope (comparison filters, admin).
            models.Index(fields=["topic", "product_scope"], name="clause_topic_scope_idx"),
        ]

    def __str__(self):
        return f"{self.standard.code} {self.reference}"

    def save(self, *args, **kwargs):
        self.search_text = self.build_search_text()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{self.standard.get_absolute_url()}#clause-{self.pk}"

    def build_search_text(self, parameters=None):
        """The text searched by the portal (standards.search_text.build). `parameters`
        may be given by callers that create limits in bulk; otherwise the saved limits'
        parameters are read."""
        from standards import search_text

        if parameters is None:
            parameters = search_text.parameters_of([self.pk]).get(self.pk, []) if self.pk else []
        return search_text.build(self, parameters)

    @property
    def limit_rows(self):
        """The clause's limits: the list prefetched by for_list() when there is one."""
        cached = getattr(self, "limit_list", None)
        return cached if cached is not None else list(self.limits.all())

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.parent_id and self.parent.standard_id != self.standard_id:
            raise ValidationError(
                {"parent": _("The parent clause must belong to the same standard.")},
                code="parent_other_standard",
            )


def _rank(field, choices):
    """An ordering expression that follows the order the choices are declared in."""
    return models.Case(
        *[models.When(**{field: value}, then=rank) for rank, value in enumerate(choices.values)],
        default=len(choices.values),
        output_field=models.IntegerField(),
    )


# The filters a list of mappings is narrowed by, named as the comparison page and the gap
# report name them in their addresses; ClauseMappingQuerySet.matching() takes each.
MAPPING_FILTERS = ("product", "topic", "status", "alignment", "standard", "confidence", "q")


class ClauseMappingQuerySet(models.QuerySet):
    def for_list(self):
        """Everything a list of mappings shows, in a fixed number of queries: the mappings,
        then clauses and limits of each side (6 prefetch queries). The sides land in plain
        lists (kz_list, cn_list, reference_list; a clause's limits in limit_list): a
        thousand rows then cost no related-manager objects."""
        clauses = Clause.objects.select_related("standard").prefetch_related(
            models.Prefetch(
                "limits", queryset=Limit.objects.select_related("parameter"), to_attr="limit_list"
            )
        )
        return self.select_related("updated_by").prefetch_related(
            models.Prefetch("kz_clauses", queryset=clauses, to_attr="kz_list"),
            models.Prefetch("cn_clauses", queryset=clauses, to_attr="cn_list"),
            models.Prefetch("reference_clauses", queryset=clauses, to_attr="reference_list"),
        )

    def with_ranks(self):
        """Annotate status, alignment and confidence ranks: ordering in declared order."""
        return self.annotate(
            status_rank=_rank("status", ClauseMappingStatus),
            alignment_rank=_rank("alignment", ClauseMappingAlignment),
            confidence_rank=_rank("confidence", Confidence),
        )

    def matching(
        self,
        *,
        product=(),
        topic=(),
        status=(),
        alignment=(),
        confidence=(),
        standard=(),
        jurisdiction=(),
        q="",
        gaps_only=False,
    ):
        """The mappings a comparison, a gap report or the admin selects. Each filter takes
        one value or several (any of them matches); empty values do not filter.
        `standard` and `jurisdiction` select mappings citing a clause of such a document
        on any side; `q` searches clause texts (standards.search), subjects and keys;
        `gaps_only` leaves out what is equivalent or harmonized."""
        from standards.glossary import search_forms
        from standards.search import matching_clause_ids, normalise_query

        queryset = filter_by_fields(
            self,
            product=product,
            topic=topic,
            status=status,
            alignment=alignment,
            confidence=confidence,
            gaps_only=gaps_only,
        )
        if standards := _several(standard):
            queryset = queryset.filter(_citing(Clause.objects.filter(standard__in=standards)))
        if jurisdictions := _several(jurisdiction):
            queryset = queryset.filter(
                _citing(Clause.objects.filter(standard__jurisdiction__in=jurisdictions))
            )
        if q:
            forms = search_forms(normalise_query(q))  # one glossary query
            clause_ids = matching_clause_ids(q, forms)
            if clause_ids is None:
                return queryset.none()
            titles = Q()
            for form in forms:
                titles |= Q(title__icontains=form)
            queryset = queryset.filter(_citing(clause_ids) | titles | Q(key__iexact=q.strip()))
        return queryset


def filter_by_fields(
    queryset, *, product=(), topic=(), status=(), alignment=(), confidence=(), gaps_only=False
):
    """The filters of `matching` that read the mapping's own fields, for any queryset
    with them: today's mappings, or their history rows (a report as of a baseline)."""
    for field, value in (
        ("product_group", product),
        ("topic", topic),
        ("status", status),
        ("alignment", alignment),
        ("confidence", confidence),
    ):
        if values := _several(value):
            queryset = queryset.filter(**{f"{field}__in": values})
    if gaps_only:
        queryset = queryset.exclude(alignment__in=GAP_SETTLED_ALIGNMENTS).exclude(
            status__in=GAP_SETTLED_STATUSES
        )
    return queryset


def _several(value):
    """A filter's values as a list: none for "" or None, one for a single value."""
    if value is None or value == "":
        return []
    if isinstance(value, str | models.Model):
        return [value]
    return [v for v in value if v not in (None, "")]


def _citing(clauses):
    """Mappings that cite one of `clauses` on any side: one subquery per link table,
    hashed by PostgreSQL, instead of joining the three link tables to every mapping
    (/compare/?q=lead at 20,000 mappings: 124 ms of database time before, 53 ms after;
    bench/explain_queries.py)."""
    clause_ids = clauses.values("pk")
    condition = Q()
    for field in ("kz_clauses", "cn_clauses", "reference_clauses"):
        through = getattr(ClauseMapping, field).through
        condition |= Q(
            pk__in=through.objects.filter(clause_id__in=clause_ids).values("clausemapping_id")
        )
    return condition


class ClauseMappingProductGroup(models.TextChoices):
    CHILLED = "chilled", _("Chilled meat")
    HEAT_TREATED = "heat_treated", _("Heat-treated meat")


class ClauseMappingAlignment(models.TextChoices):
    EQUIVALENT = "equivalent", _("Equivalent")
    KZ_STRICTER = "kz_stricter", _("Kazakhstan stricter")
    CN_STRICTER = "cn_stricter", _("China stricter")
    DIFFERENT = "different", _("Different approaches")
    KZ_ONLY = "kz_only", _("Kazakhstan only")
    CN_ONLY = "cn_only", _("China only")
    NOT_ASSESSED = "not_assessed", _("Not assessed")


class ClauseMappingStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    TECHNICAL_REVIEW = "technical_review", _("In technical review")
    NEGOTIATION = "negotiation", _("Under negotiation")
    AGREED = "agreed", _("Agreed")
    HARMONIZED = "harmonized", _("Harmonized")
    NO_ACTION = "no_action", _("No action needed")


# "Gaps only": everything that is neither equivalent nor harmonized.
GAP_SETTLED_ALIGNMENTS = (ClauseMappingAlignment.EQUIVALENT,)
GAP_SETTLED_STATUSES = (ClauseMappingStatus.HARMONIZED,)


class ClauseMappingSide(models.TextChoices):
    NONE = "", _("Not assigned")
    KAZAKHSTAN = "kz", _("Kazakhstan")
    CHINA = "cn", _("China")
    JOINT = "joint", _("Joint")


def validate_mapping_key(value):
    """The rule of a mapping key, one for ClauseMapping.clean() (the admin form and the
    spreadsheet import) and the reference loader: the key is part of the pair page's
    address (/pairs/<key>/), so it is letters, digits, hyphens and underscores, like
    KZCN-001."""
    from django.core.validators import validate_slug

    validate_slug(value)


class ClauseMapping(models.Model):
    """Kazakh clause(s) paired with Chinese clause(s) for one product group and topic.

    One side empty is a gap: a requirement only one country has.
    """

    ProductGroup = ClauseMappingProductGroup
    Alignment = ClauseMappingAlignment
    Status = ClauseMappingStatus
    Side = ClauseMappingSide

    # Where a pair stands in the talks: the editors' assessment, as opposed to the facts
    # of the two texts (the admin groups them; the reference loader writes them only when
    # it creates the mapping).
    ASSESSMENT_FIELDS = (
        "alignment",
        "status",
        "rationale",
        "proposed_action",
        "responsible_side",
        "target_date",
    )

    key = models.CharField(
        _("stable key"),
        max_length=40,
        unique=True,
        help_text=_("Identifier used in URLs, reports and imports, e.g. KZCN-001."),
    )
    title = models.CharField(_("subject"), max_length=300)
    title_ru = models.CharField(_("subject (Russian)"), max_length=300, blank=True)
    title_kk = models.CharField(_("subject (Kazakh)"), max_length=300, blank=True)
    title_zh = models.CharField(_("subject (Chinese)"), max_length=300, blank=True)
    product_group = models.CharField(_("product group"), max_length=12, choices=ProductGroup)
    topic = models.CharField(_("topic"), max_length=30, choices=Topic)
    kz_clauses = models.ManyToManyField(
        Clause, related_name="kz_mappings", blank=True, verbose_name=_("Kazakh clauses")
    )
    cn_clauses = models.ManyToManyField(
        Clause, related_name="cn_mappings", blank=True, verbose_name=_("Chinese clauses")
    )
    reference_clauses = models.ManyToManyField(
        Clause,
        related_name="reference_mappings",
        blank=True,
        verbose_name=_("international reference clauses"),
    )
    alignment = models.CharField(
        _("alignment"), max_length=14, choices=Alignment, default=Alignment.NOT_ASSESSED
    )
    status = models.CharField(
        _("negotiation status"), max_length=18, choices=Status, default=Status.NOT_STARTED
    )
    rationale = models.TextField(_("rationale"), blank=True)
    proposed_action = models.TextField(_("proposed action"), blank=True)
    rationale_ru = models.TextField(_("rationale (Russian)"), blank=True)
    rationale_kk = models.TextField(_("rationale (Kazakh)"), blank=True)
    rationale_zh = models.TextField(_("rationale (Chinese)"), blank=True)
    proposed_action_ru = models.TextField(_("proposed action (Russian)"), blank=True)
    proposed_action_kk = models.TextField(_("proposed action (Kazakh)"), blank=True)
    proposed_action_zh = models.TextField(_("proposed action (Chinese)"), blank=True)
    notes = models.TextField(_("source notes"), blank=True)
    responsible_side = models.CharField(
        _("responsible side"), max_length=5, choices=Side, blank=True, default=Side.NONE
    )
    target_date = models.DateField(_("target date"), null=True, blank=True)
    confidence = models.CharField(_("source confidence"), max_length=6, choices=Confidence)
    kz_evidence = models.CharField(
        _("evidence of the Kazakh side"),
        max_length=17,
        choices=Evidence,
        blank=True,
        help_text=_(
            "For Kazakh clauses: read, secondary or not read. With none: whether the "
            "absence was verified. Empty: not recorded, taken as the weakest."
        ),
    )
    kz_evidence_note = models.CharField(_("why (Kazakh side)"), max_length=300, blank=True)
    cn_evidence = models.CharField(
        _("evidence of the Chinese side"),
        max_length=17,
        choices=Evidence,
        blank=True,
        help_text=_(
            "For Chinese clauses: read, secondary or not read. With none: whether the "
            "absence was verified. Empty: not recorded, taken as the weakest."
        ),
    )
    cn_evidence_note = models.CharField(_("why (Chinese side)"), max_length=300, blank=True)
    sheet_row = models.PositiveIntegerField(
        _("row in the requirements sheet"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last changed by"),
    )

    objects = ClauseMappingQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[kz_clauses, cn_clauses, reference_clauses])

    class Meta:
        ordering = ["key"]
        verbose_name = _("clause mapping")
        verbose_name_plural = _("clause mappings")
        permissions = [("export_report", _("Can export gap reports"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(product_group__in=ClauseMappingProductGroup.values),
                name="mapping_product_group_valid",
            ),
            models.CheckConstraint(condition=Q(topic__in=Topic.values), name="mapping_topic_valid"),
            models.CheckConstraint(
                condition=Q(alignment__in=ClauseMappingAlignment.values),
                name="mapping_alignment_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ClauseMappingStatus.values), name="mapping_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values), name="mapping_confidence_valid"
            ),
            models.CheckConstraint(
                condition=Q(kz_evidence__in=["", *Evidence.values])
                & Q(cn_evidence__in=["", *Evidence.values]),
                name="mapping_evidence_valid",
            ),
        ]
        indexes = [
            # Comparison page and dashboard: filter by product group and topic, count by
            # status and alignment.
            models.Index(
                fields=["product_group", "topic", "status", "alignment"],
                name="mapping_compare_idx",
            ),
            # Dashboard "recently changed mappings".
            models.Index(fields=["-updated_at"], name="mapping_recent_idx"),
            # Comparison filtered by status alone (its count and its page, also sorted by
            # last change): a seq scan of every mapping without it.
            models.Index(fields=["status", "-updated_at"], name="mapping_status_recent_idx"),
        ]

    def __str__(self):
        return f"{self.key} {self.title}"

    def get_absolute_url(self):
        return reverse("standards:mapping-detail", args=[self.key])

    def clean(self):
        """The key is part of the pair page's address (/pairs/<key>/): with a "/" in it no
        link to the mapping can be built and every page listing it fails. A new or changed
        key is letters, digits, hyphens and underscores, like KZCN-001 (the admin form and
        the spreadsheet import both check it here)."""
        from django.core.exceptions import ValidationError

        stored = None
        if self.pk is not None:
            stored = ClauseMapping.objects.filter(pk=self.pk).values_list("key", flat=True).first()
        if self.key and self.key != stored:
            try:
                validate_mapping_key(self.key)
            except ValidationError as error:
                raise ValidationError({"key": error}) from None

    def clauses_of(self, side):
        """The clauses of one side ("kz", "cn", "reference"): the list prefetched by
        for_list() when there is one, else a query."""
        cached = getattr(self, f"{side}_list", None)
        if cached is not None:
            return cached
        return list(getattr(self, f"{side}_clauses").all())

    @property
    def kz_side(self):
        return self.clauses_of("kz")

    @property
    def cn_side(self):
        return self.clauses_of("cn")

    @property
    def reference_side(self):
        return self.clauses_of("reference")

    def side_evidence(self, side):
        """The evidence of one side ("kz" or "cn"): the recorded one where it fits the
        side (a figure's evidence for a side with clauses, an absence's for one without),
        else the weakest that fits: not read, or absence not checked."""
        recorded = getattr(self, f"{side}_evidence")
        if self.clauses_of(side):
            return Evidence(recorded) if recorded in FIGURE_EVIDENCE else Evidence.NOT_READ
        return Evidence(recorded) if recorded in ABSENCE_EVIDENCE else Evidence.ABSENCE_UNCHECKED

    def confidence_ceiling(self):
        """The highest confidence the mapping may claim: that of its weakest side (the
        side's evidence and the confidence of each of its clauses)."""
        levels = [CONFIDENCE_OF_EVIDENCE[self.side_evidence(side)] for side in ("kz", "cn")]
        levels += [c.confidence for c in (*self.kz_side, *self.cn_side)]
        return max(levels, key=lambda level: CONFIDENCE_RANK.get(level, 2))

    def confidence_too_high(self):
        """Whether the recorded confidence is firmer than the weakest side allows."""
        ceiling = self.confidence_ceiling()
        return CONFIDENCE_RANK.get(self.confidence, 2) < CONFIDENCE_RANK[ceiling]

    @property
    def gap_side(self):
        """The side that has no clause ("kz" or "cn"), "both", or "" when both sides have
        one."""
        has_kz, has_cn = bool(self.kz_side), bool(self.cn_side)
        if has_kz and not has_cn:
            return "cn"
        if has_cn and not has_kz:
            return "kz"
        if not has_kz and not has_cn:
            return "both"
        return ""


class LimitKind(models.TextChoices):
    MAXIMUM = "maximum", _("Maximum")
    MINIMUM = "minimum", _("Minimum")
    RANGE = "range", _("Range")
    ABSENT = "absent", _("Absent in a quantity")
    PROHIBITED = "prohibited", _("Prohibited")
    PROHIBITED_LOD = "prohibited_lod", _("Prohibited, with a limit of detection")
    NO_LIMIT = "no_limit", _("No limit set")


def _typed_limit_constraints():
    """The rules of a typed limit's figures, named after the model that carries them
    (`%(class)s`: "limit_kind_valid" for a clause's limit)."""
    return [
        models.CheckConstraint(
            condition=Q(kind__in=LimitKind.values),
            name="%(class)s_kind_valid",
            violation_error_code="limit_kind_valid",
            violation_error_message=_(
                "The kind is one of maximum, minimum, range, absent, prohibited and no limit set."
            ),
        ),
        models.CheckConstraint(
            condition=~Q(kind__in=["maximum", "minimum"])
            | Q(value__isnull=False, upper_value__isnull=True),
            name="%(class)s_bound_has_one_value",
            violation_error_code="limit_bound_has_one_value",
            violation_error_message=_("A maximum or a minimum needs one value and no upper value."),
        ),
        models.CheckConstraint(
            condition=~Q(kind="range")
            | Q(value__isnull=False, upper_value__isnull=False, value__lte=F("upper_value")),
            name="%(class)s_range_ordered",
            violation_error_code="limit_range_ordered",
            violation_error_message=_(
                "A range needs a lower and an upper value, the lower not above the upper."
            ),
        ),
        models.CheckConstraint(
            # value__isnull: a check passes where its condition is unknown (NULL),
            # so "value > 0" alone let an absence without a quantity through.
            condition=~Q(kind="absent")
            | Q(value__isnull=False, value__gt=0, upper_value__isnull=True),
            name="%(class)s_absent_has_quantity",
            violation_error_code="limit_absent_has_quantity",
            violation_error_message=_(
                "An absence needs the sample quantity as a positive value and no upper value."
            ),
        ),
        models.CheckConstraint(
            condition=~Q(kind__in=["prohibited", "no_limit"])
            | Q(value__isnull=True, upper_value__isnull=True),
            name="%(class)s_without_figures",
            violation_error_code="limit_without_figures",
            violation_error_message=_(
                "A prohibition or a “no limit set” carries no value and no upper value."
            ),
        ),
        models.CheckConstraint(
            condition=~Q(kind="prohibited_lod")
            | Q(value__isnull=False, value__gt=0, upper_value__isnull=True),
            name="%(class)s_lod_has_value",
            violation_error_code="limit_lod_has_value",
            violation_error_message=_(
                "A prohibition with a limit of detection needs that limit as a positive "
                "value and no upper value."
            ),
        ),
        models.CheckConstraint(
            condition=Q(plan_n__isnull=True) | Q(plan_n__gte=1),
            name="%(class)s_plan_n_positive",
            violation_error_code="limit_plan_n_positive",
            violation_error_message=_("A sampling plan's n is at least 1."),
        ),
        models.CheckConstraint(
            condition=Q(plan_c__isnull=True) | Q(plan_n__isnull=False, plan_c__lte=F("plan_n")),
            name="%(class)s_plan_c_within_n",
            violation_error_code="limit_plan_c_within_n",
            violation_error_message=_("A sampling plan's c needs an n and is not above it."),
        ),
        models.CheckConstraint(
            condition=Q(plan_m__isnull=True)
            | Q(plan_big_m__isnull=True)
            | Q(plan_m__lte=F("plan_big_m")),
            name="%(class)s_plan_m_not_above_big_m",
            violation_error_code="limit_plan_m_not_above_big_m",
            violation_error_message=_("A sampling plan's m is not above its M."),
        ),
    ]


class TypedLimit(models.Model):
    """The figures of a typed requirement (kind, value, bounds, unit, sampling plan) and
    their rules: a clause's limit and a catalogue entry's condition are both one.

    `value` is the figure of a maximum or minimum, the lower bound of a range, or the
    sample quantity of an absence requirement ("not detected in 25 g": 25 g). A
    microbiological sampling plan adds n, c, m and M; for a maximum, value equals m.
    The concrete model adds its `parameter`.
    """

    Kind = LimitKind

    kind = models.CharField(_("kind"), max_length=14, choices=LimitKind)
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=12, null=True, blank=True)
    upper_value = models.DecimalField(
        _("upper value"), max_digits=24, decimal_places=12, null=True, blank=True
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    strict = models.BooleanField(
        _("strict inequality"), default=False, help_text=_("“<” or “>” rather than “≤” or “≥”.")
    )
    basis = models.CharField(
        _("basis"), max_length=120, blank=True, help_text=_("e.g. “fat basis”, “as NaNO₂”.")
    )
    qualifier = models.CharField(
        _("applies to"), max_length=300, blank=True, help_text=_("Matrix, species or product.")
    )
    plan_n = models.PositiveSmallIntegerField(_("n (sample units)"), null=True, blank=True)
    plan_c = models.PositiveSmallIntegerField(_("c (units allowed above m)"), null=True, blank=True)
    plan_m = models.DecimalField(_("m"), max_digits=24, decimal_places=12, null=True, blank=True)
    plan_big_m = models.DecimalField(
        _("M"), max_digits=24, decimal_places=12, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)

    # Whether a unit the units engine cannot read is refused. A clause's limit keeps the
    # unit its text gives (limits.compare reports such figures as not comparable); a
    # catalogue condition's unit must be one the engine reads.
    unit_must_be_known = True

    class Meta:
        abstract = True

    def __str__(self):
        from limits.notation import format_limit

        return format_limit(self)

    def clean(self):
        super().clean()
        self.clean_unit()

    def clean_unit(self):
        """A unit the units engine knows, that measures what the parameter's canonical
        unit measures: lead in CFU/g, or an age in mg/kg, is refused with the kind of unit
        expected. An absence's unit is that of the sample quantity ("in 25 g"), not a
        unit of the parameter."""
        from limits.units import UnitError, fits, normalise_unit, unit_kind

        if not self.unit.strip():
            return
        try:
            normalise_unit(self.unit)
        except UnitError as exc:
            if not self.unit_must_be_known:
                return  # not compared, so nothing to check it against
            raise ValidationError({"unit": ValidationError(exc.message, code=exc.code)}) from None
        parameter = self._meta.get_field("parameter").get_cached_value(self, None)
        if parameter is None and self.parameter_id:
            parameter = self.parameter
        if parameter is None or not parameter.unit or self.kind == LimitKind.ABSENT:
            return
        try:
            fitting = fits(self.unit, parameter.unit)
        except UnitError:
            return  # a canonical unit the portal cannot read: nothing to check against
        if not fitting:
            raise ValidationError(
                {
                    "unit": ValidationError(
                        _("%(unit)s does not fit %(parameter)s: expected a unit of %(expected)s.")
                        % {
                            "unit": self.unit,
                            "parameter": parameter.name_en or parameter.key,
                            "expected": unit_kind(parameter.unit),
                        },
                        code="unit_does_not_fit",
                    )
                }
            )


class Limit(TypedLimit):
    """A typed quantitative requirement carried by a clause (the figures and their rules:
    TypedLimit)."""

    unit_must_be_known = False

    clause = models.ForeignKey(
        Clause, on_delete=models.CASCADE, related_name="limits", verbose_name=_("clause")
    )
    parameter = models.ForeignKey(
        Parameter, on_delete=models.PROTECT, related_name="limits", verbose_name=_("parameter")
    )
    matrix = models.SlugField(
        _("matrix key"),
        max_length=60,
        blank=True,
        help_text=_(
            "Short key of what the figure applies to (meat, offal, smoked-meat-products); "
            "figures are compared only between limits of the same matrix. Empty: the "
            "clause's product in general."
        ),
    )
    evidence = models.CharField(
        _("evidence"),
        max_length=17,
        choices=[(e.value, e.label) for e in FIGURE_EVIDENCE],
        default=Evidence.NOT_READ,
        help_text=_("Was the figure read in the legal text? A verdict is no firmer than this."),
    )
    evidence_note = models.CharField(
        _("why this evidence"),
        max_length=300,
        blank=True,
        help_text=_("The words of the source or review the evidence rests on."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["clause", "position", "pk"]
        verbose_name = _("limit")
        verbose_name_plural = _("limits")
        # Each rule carries its own code and message: the admin, the spreadsheet import
        # and the reference loader (full_clean) report a violation with them.
        constraints = [
            *_typed_limit_constraints(),
            models.CheckConstraint(
                condition=Q(evidence__in=[e.value for e in FIGURE_EVIDENCE]),
                name="limit_evidence_valid",
                violation_error_code="limit_evidence_valid",
                violation_error_message=_(
                    "A figure's evidence is read, secondary source or not read."
                ),
            ),
        ]

    def get_absolute_url(self):
        return self.clause.get_absolute_url()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The clause whose search text names this limit's parameter (standards.search_text).
        instance._loaded_clause_id = instance.__dict__.get("clause_id")
        return instance


class ReviewCause(models.TextChoices):
    CLAUSE_TEXT = "clause_text", _("Clause text changed")
    LIMIT = "limit", _("Limit changed")
    EDITION = "edition", _("Edition changed")
    SUPERSEDED = "superseded", _("Cited standard superseded")


class ReviewFlag(models.Model):
    """A settled pair in doubt: a text, a limit or a standard it cites changed after the
    mapping was agreed or harmonized (standards.review raises it). The mapping needs
    re-review until an editor clears the flag with a reason. `before` and `after` hold
    what changed, {field: text}, as it read when the pair was settled and as it reads
    now; one open flag per mapping and subject gathers every later edit of that subject."""

    Cause = ReviewCause

    mapping = models.ForeignKey(
        ClauseMapping, on_delete=models.CASCADE, related_name="review_flags"
    )
    cause = models.CharField(_("cause"), max_length=12, choices=ReviewCause)
    # "clause:12", "limit:7", "standard:3": what changed, for one open flag per subject.
    subject = models.CharField(_("subject"), max_length=40)
    clause = models.ForeignKey(
        Clause, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    standard = models.ForeignKey(
        Standard, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    parameter = models.ForeignKey(
        Parameter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    status_then = models.CharField(
        _("mapping status when raised"), max_length=20, choices=ClauseMappingStatus
    )
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    changed_at = models.DateTimeField(_("last changed"), default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    change_reason = models.CharField(_("reason given with the change"), max_length=500, blank=True)
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cleared by"),
    )
    clear_reason = models.TextField(_("reason for clearing"), blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("re-review flag")
        verbose_name_plural = _("re-review flags")
        constraints = [
            models.UniqueConstraint(
                fields=["mapping", "subject"],
                condition=Q(cleared_at__isnull=True),
                name="review_flag_one_open_per_subject",
            ),
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True) | ~Q(clear_reason=""),
                name="review_flag_cleared_with_reason",
            ),
            models.CheckConstraint(
                condition=Q(cause__in=ReviewCause.values), name="review_flag_cause_valid"
            ),
        ]
        indexes = [
            # The re-review queue and the comparison's badge: the open flags.
            models.Index(fields=["cleared_at", "mapping"], name="review_flag_open_idx"),
        ]

    def __str__(self):
        return f"{self.mapping_id} {self.get_cause_display()}"

    @property
    def is_open(self):
        return self.cleared_at is None


class ReportFileStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being rendered")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ReportFile(models.Model):
    """A rendered gap report (PDF, CSV or XLSX), kept in the database so that every app
    server can serve it: the cache of repeat downloads and the outcome of background
    renders. `key` digests the data version, the selection and the format, so any edit
    to the data makes a new key."""

    Status = ReportFileStatus

    key = models.CharField(_("cache key"), max_length=64, unique=True)
    fmt = models.CharField(_("format"), max_length=4)
    selection = models.TextField(_("selection (query string)"))
    fingerprint = models.CharField(_("data fingerprint"), max_length=64, blank=True)
    mapping_count = models.PositiveIntegerField(_("mappings"), default=0)
    status = models.CharField(
        _("status"), max_length=8, choices=ReportFileStatus, default=ReportFileStatus.QUEUED
    )
    content = models.BinaryField(_("content"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The data version the file shows (fingerprint.version_of), its size, and when it
    # was last downloaded: what the cache's retention policy reads (reports/upkeep.py).
    version = models.CharField(_("data version"), max_length=200, blank=True, db_index=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    last_served_at = models.DateTimeField(_("last downloaded"), null=True, blank=True)

    class Meta:
        verbose_name = _("rendered report")
        verbose_name_plural = _("rendered reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReportFileStatus.values), name="reportfile_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(fmt__in=["pdf", "csv", "xlsx"]), name="reportfile_format_valid"
            ),
        ]

    def __str__(self):
        return f"{self.fmt} {self.selection} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("standards:report-job", args=[self.pk])


class ReportDemand(models.Model):
    """A report selection and format someone downloaded, with how often and when last:
    the worker renders those of the last REPORT_DEMAND_DAYS again after an edit
    (standards/reports/upkeep.py), so that the next download is a cache hit. `key`
    digests the format and the selection (without the data version)."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    fmt = models.CharField(_("format"), max_length=4)
    selection = models.TextField(_("selection (query string)"))
    requests = models.PositiveIntegerField(_("downloads"), default=0)
    last_requested_at = models.DateTimeField(_("last downloaded"), db_index=True)

    class Meta:
        verbose_name = _("report in demand")
        verbose_name_plural = _("reports in demand")
        constraints = [
            models.CheckConstraint(
                condition=Q(fmt__in=["pdf", "csv", "xlsx"]), name="reportdemand_format_valid"
            ),
        ]

    def __str__(self):
        return f"{self.fmt} {self.selection} ({self.requests})"


class IssuedReport(models.Model):
    """A fingerprint the portal has put on a report (any format, HTML included), with
    the selection and the data version it describes. Kept for good, unlike the rendered
    files: /reports/verify/ finds which version a fingerprint belongs to, and says what
    changed since."""

    fingerprint = models.CharField(_("data fingerprint"), max_length=64, unique=True)
    selection = models.TextField(_("selection (query string)"))
    as_of = models.DateTimeField(_("data as of"))
    issued_at = models.DateTimeField(_("first issued"), auto_now_add=True)

    class Meta:
        verbose_name = _("issued report")
        verbose_name_plural = _("issued reports")

    def __str__(self):
        return f"{self.fingerprint[:12]} ({self.as_of:%Y-%m-%d %H:%M})"


class NegotiationNoteSide(models.TextChoices):
    KAZAKHSTAN = "kz", _("Kazakhstan")
    CHINA = "cn", _("China")
    JOINT = "joint", _("Joint")


class NegotiationNoteVisibility(models.TextChoices):
    SHARED = "shared", _("Shared with the other delegation")
    INTERNAL = "internal", _("Internal to its side's delegation")


class Delegation(models.TextChoices):
    KAZAKHSTAN = "kz", _("Kazakh delegation")
    CHINA = "cn", _("Chinese delegation")


class RoundFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video conference")
    LETTERS = "letters", _("Exchange of letters")


class Round(models.Model):
    """A round of the talks, a meeting or a step of the procedure (an audit, a signing):
    its dates, place, format and delegations, an agenda of mappings, the minutes (a
    summary and decisions) and the action items taken from it. A round without minutes
    says so; nothing is recorded that the source does not give."""

    Format = RoundFormat

    number = models.PositiveIntegerField(_("number"), unique=True)
    title = models.CharField(_("title"), max_length=300)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    dates_note = models.CharField(
        _("dates as given by the source"),
        max_length=200,
        blank=True,
        help_text=_("e.g. “Dec 2023” where the source gives no day."),
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    format = models.CharField(_("format"), max_length=10, choices=RoundFormat, blank=True)
    kz_head = models.CharField(_("head of the Kazakh delegation"), max_length=200, blank=True)
    cn_head = models.CharField(_("head of the Chinese delegation"), max_length=200, blank=True)
    kz_delegation = models.TextField(_("Kazakh delegation"), blank=True)
    cn_delegation = models.TextField(_("Chinese delegation"), blank=True)
    summary = models.TextField(
        _("minutes: summary"),
        blank=True,
        help_text=_("Empty when no minutes are recorded for this round."),
    )
    source = models.TextField(_("source"), blank=True)
    confidence = models.CharField(
        _("source confidence"), max_length=6, choices=Confidence, default=Confidence.LOW
    )
    agenda = models.ManyToManyField(
        ClauseMapping, blank=True, related_name="rounds", verbose_name=_("agenda")
    )
    # Set by the reference loader: it updates only the rounds it created.
    from_dataset = models.BooleanField(
        _("from the reference dataset"), default=False, editable=False
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[agenda])

    class Meta:
        ordering = ["-number"]
        verbose_name = _("round")
        verbose_name_plural = _("rounds")
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="round_number_positive",
                violation_error_code="round_number_positive",
                violation_error_message=_("A round's number is at least 1."),
            ),
            models.CheckConstraint(
                condition=Q(format="") | Q(format__in=RoundFormat.values),
                name="round_format_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values), name="round_confidence_valid"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | (Q(starts_on__isnull=False) & Q(ends_on__gte=F("starts_on"))),
                name="round_ends_not_before_start",
                violation_error_code="round_ends_not_before_start",
                violation_error_message=_("A round ends on or after the day it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"

    def get_absolute_url(self):
        return reverse("standards:round-detail", args=[self.number])


class DecisionOutcome(models.TextChoices):
    AGREED = "agreed", _("Agreed")
    NOT_AGREED = "not_agreed", _("Not agreed")
    DEFERRED = "deferred", _("Deferred")
    NOTED = "noted", _("Noted")


class Decision(models.Model):
    """One decision of a round's minutes, with its outcome and the mappings it is about."""

    Outcome = DecisionOutcome

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("round")
    )
    text = models.TextField(_("decision"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=DecisionOutcome)
    mappings = models.ManyToManyField(
        ClauseMapping, blank=True, related_name="decisions", verbose_name=_("mappings")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["round", "position", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=DecisionOutcome.values), name="decision_outcome_valid"
            ),
        ]

    def __str__(self):
        return f"{self.round.number}: {self.text[:60]}"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ActionItem(models.Model):
    """Something a side owes after a round: what, who, by when, and the evidence that it
    was done (required once it is done)."""

    Status = ActionItemStatus
    Side = NegotiationNoteSide

    round = models.ForeignKey(
        Round, on_delete=models.CASCADE, related_name="action_items", verbose_name=_("round")
    )
    what = models.TextField(_("what"))
    owner_side = models.CharField(_("owner side"), max_length=5, choices=NegotiationNoteSide)
    responsible_body = models.CharField(_("responsible body"), max_length=300, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=9, choices=ActionItemStatus, default=ActionItemStatus.OPEN
    )
    evidence = models.TextField(
        _("evidence"),
        blank=True,
        help_text=_("Required when done: the document, announcement or letter that shows it."),
    )
    mappings = models.ManyToManyField(
        ClauseMapping, blank=True, related_name="action_items", verbose_name=_("mappings")
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[mappings])

    class Meta:
        ordering = ["round", F("due_on").asc(nulls_last=True), "pk"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_side__in=NegotiationNoteSide.values),
                name="action_owner_side_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActionItemStatus.values), name="action_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(evidence=""),
                name="action_done_has_evidence",
                violation_error_code="action_done_has_evidence",
                violation_error_message=_("An action item that is done needs its evidence."),
            ),
        ]

    def __str__(self):
        return f"{self.round.number}: {self.what[:60]}"

    def clean(self):
        super().clean()
        if self.status == ActionItemStatus.DONE and not self.evidence.strip():
            raise ValidationError(
                {"evidence": _("An action item that is done needs its evidence.")},
                code="action_done_has_evidence",
            )

    def is_overdue(self, today=None):
        today = today or timezone.localdate()
        return (
            self.status == ActionItemStatus.OPEN
            and self.due_on is not None
            and (self.due_on < today)
        )


class KazakhRegion(models.TextChoices):
    """Kazakhstan's first-level administrative units since the 2022 reform: 17 regions
    and the 3 cities of republican significance. Zones, establishments and visited sites
    name their place by these."""

    ABAI = "abai", _("Abai region")
    AKMOLA = "akmola", _("Akmola region")
    AKTOBE = "aktobe", _("Aktobe region")
    ALMATY_REGION = "almaty_region", _("Almaty region")
    ATYRAU = "atyrau", _("Atyrau region")
    EAST_KAZAKHSTAN = "east_kazakhstan", _("East Kazakhstan region")
    ZHAMBYL = "zhambyl", _("Zhambyl region")
    ZHETYSU = "zhetysu", _("Zhetysu region")
    WEST_KAZAKHSTAN = "west_kazakhstan", _("West Kazakhstan region")
    KARAGANDA = "karaganda", _("Karaganda region")
    KOSTANAY = "kostanay", _("Kostanay region")
    KYZYLORDA = "kyzylorda", _("Kyzylorda region")
    MANGYSTAU = "mangystau", _("Mangystau region")
    PAVLODAR = "pavlodar", _("Pavlodar region")
    NORTH_KAZAKHSTAN = "north_kazakhstan", _("North Kazakhstan region")
    TURKISTAN = "turkistan", _("Turkistan region")
    ULYTAU = "ulytau", _("Ulytau region")
    ASTANA = "astana", _("Astana (city)")
    ALMATY_CITY = "almaty_city", _("Almaty (city)")
    SHYMKENT = "shymkent", _("Shymkent (city)")


class PathwaySpecies(models.TextChoices):
    CATTLE = "cattle", _("Cattle")
    SHEEP = "sheep", _("Sheep")
    GOAT = "goat", _("Goats")
    PIG = "pig", _("Pigs")
    POULTRY = "poultry", _("Poultry")
    HORSE = "horse", _("Horses")


class ProcessingForm(models.TextChoices):
    NOT_STATED = "", _("Not stated by the source")
    CHILLED = "chilled", _("Chilled")
    FROZEN = "frozen", _("Frozen")
    HEAT_TREATED = "heat_treated", _("Heat-treated")
    OFFAL = "offal", _("Offal and by-products")


class Pathway(models.Model):
    """One product line toward China (species × processing form × zone): the GACC
    procedure's stages as milestones, the mappings that must be settled first and the
    rounds where it was on the table."""

    Species = PathwaySpecies
    Form = ProcessingForm

    key = models.SlugField(_("key"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=300)
    species = models.CharField(_("species"), max_length=10, choices=PathwaySpecies)
    processing_form = models.CharField(
        _("processing form"), max_length=12, choices=ProcessingForm, blank=True
    )
    zone = models.CharField(
        _("zone"),
        max_length=300,
        blank=True,
        help_text=_("The areas the pathway is for, as the source names them."),
    )
    summary = models.TextField(_("summary"), blank=True)
    source = models.TextField(_("source"), blank=True)
    confidence = models.CharField(
        _("source confidence"), max_length=6, choices=Confidence, default=Confidence.LOW
    )
    mappings = models.ManyToManyField(
        ClauseMapping,
        blank=True,
        related_name="pathways",
        verbose_name=_("mappings that must be settled"),
    )
    rounds = models.ManyToManyField(
        Round, blank=True, related_name="pathways", verbose_name=_("rounds")
    )
    zones = models.ManyToManyField(
        "Zone",
        blank=True,
        related_name="pathways",
        verbose_name=_("zones"),
        help_text=_("The recorded zones the pathway's zone text names (standards.zoning)."),
    )
    # Set by the reference loader; cleared when an editor saves the pathway in the
    # admin, after which the loader leaves it alone.
    from_dataset = models.BooleanField(
        _("from the reference dataset"), default=False, editable=False
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[mappings, rounds, zones])

    class Meta:
        ordering = ["key"]
        verbose_name = _("market-access pathway")
        verbose_name_plural = _("market-access pathways")
        constraints = [
            models.CheckConstraint(
                condition=Q(species__in=PathwaySpecies.values), name="pathway_species_valid"
            ),
            models.CheckConstraint(
                condition=Q(processing_form__in=ProcessingForm.values),
                name="pathway_form_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values), name="pathway_confidence_valid"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("standards:pathway-detail", args=[self.key])


class MilestoneStage(models.IntegerChoices):
    """The steps of GACC's market-access procedure, in their order (MARKET_ACCESS.md
    §1.2 and §7)."""

    APPLICATION = 1, _("Application")
    QUESTIONNAIRE_ISSUED = 2, _("Questionnaire issued")
    QUESTIONNAIRE_ANSWERED = 3, _("Questionnaire answered")
    RISK_ASSESSMENT = 4, _("Risk assessment")
    REVIEW = 5, _("Video or on-site review")
    PROTOCOL_NEGOTIATED = 6, _("Protocol negotiated")
    PROTOCOL_SIGNED = 7, _("Protocol signed")
    CERTIFICATE_AGREED = 8, _("Certificate agreed")
    ESTABLISHMENTS_REGISTERED = 9, _("Establishments registered")
    GACC_ANNOUNCEMENT = 10, _("GACC announcement")
    FIRST_SHIPMENT = 11, _("First shipment")


class MilestoneStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    SLIPPED = "slipped", _("Slipped")


class Milestone(models.Model):
    """One stage of a pathway: who owns it, its baseline, target and actual dates, the
    evidence that it was reached and, when the target passed, why it slipped.

    Rules (clean() and, where one row suffices, the database): done needs its evidence
    and an actual date or the dates as the source gives them; slipped needs a reason.
    The order rule needs the other milestones, so clean() alone holds it: a stage is not
    done while an earlier recorded stage of the pathway is not done, and a stage is not
    set back while a later one is done. A stage the sources say nothing of is simply not
    recorded, and does not hold the others back."""

    Stage = MilestoneStage
    Status = MilestoneStatus
    Side = NegotiationNoteSide

    pathway = models.ForeignKey(
        Pathway, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("pathway")
    )
    stage = models.PositiveSmallIntegerField(_("stage"), choices=MilestoneStage)
    owner_side = models.CharField(
        _("owner side"), max_length=5, choices=NegotiationNoteSide, blank=True
    )
    responsible_body = models.CharField(_("responsible body"), max_length=300, blank=True)
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    actual_date = models.DateField(_("actual date"), null=True, blank=True)
    dates_note = models.CharField(
        _("dates as given by the source"),
        max_length=200,
        blank=True,
        help_text=_("e.g. “Dec 2023” where the source gives no day."),
    )
    status = models.CharField(
        _("status"), max_length=11, choices=MilestoneStatus, default=MilestoneStatus.PLANNED
    )
    evidence = models.TextField(
        _("evidence"),
        blank=True,
        help_text=_(
            "Required when done: the signed document, GACC announcement, registration or "
            "shipment that shows it."
        ),
    )
    citation = models.CharField(
        _("official citation"),
        max_length=300,
        blank=True,
        help_text=_("e.g. “GACC/MARA Announcement 2024 No. 20”."),
    )
    slip_reason = models.TextField(
        _("slip reason"), blank=True, help_text=_("Required when the milestone slipped.")
    )
    source = models.TextField(_("source"), blank=True)
    confidence = models.CharField(
        _("source confidence"), max_length=6, choices=Confidence, default=Confidence.LOW
    )
    from_dataset = models.BooleanField(
        _("from the reference dataset"), default=False, editable=False
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["pathway", "stage"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(
                fields=["pathway", "stage"],
                name="milestone_stage_unique",
                violation_error_message=_("The pathway already has this stage."),
            ),
            models.CheckConstraint(
                condition=Q(stage__in=MilestoneStage.values), name="milestone_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=MilestoneStatus.values), name="milestone_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(owner_side="") | Q(owner_side__in=NegotiationNoteSide.values),
                name="milestone_owner_side_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values),
                name="milestone_confidence_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="done")
                | (~Q(evidence="") & (Q(actual_date__isnull=False) | ~Q(dates_note=""))),
                name="milestone_done_has_evidence",
                violation_error_code="milestone_done_has_evidence",
                violation_error_message=_(
                    "A milestone that is done needs its evidence and an actual date (or the "
                    "dates as the source gives them)."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status="slipped") | ~Q(slip_reason=""),
                name="milestone_slipped_has_reason",
                violation_error_code="milestone_slipped_has_reason",
                violation_error_message=_("A milestone that slipped needs its slip reason."),
            ),
        ]

    def __str__(self):
        return f"{self.pathway.key}: {self.get_stage_display()}"

    def clean(self):
        super().clean()
        errors = {}
        if self.status == MilestoneStatus.DONE:
            if not self.evidence.strip():
                errors["evidence"] = _("A milestone that is done needs its evidence.")
            if self.actual_date is None and not self.dates_note.strip():
                errors["actual_date"] = _(
                    "A milestone that is done needs its actual date, or the dates as the "
                    "source gives them."
                )
        if self.status == MilestoneStatus.SLIPPED and not self.slip_reason.strip():
            errors["slip_reason"] = _("A milestone that slipped needs its slip reason.")
        if errors:
            raise ValidationError(errors, code="milestone_incomplete")
        self._check_order()

    def _check_order(self):
        if self.pathway_id is None or self.stage is None:
            return
        others = Milestone.objects.filter(pathway_id=self.pathway_id).exclude(pk=self.pk)
        if self.status == MilestoneStatus.DONE:
            first = (
                others.filter(stage__lt=self.stage)
                .exclude(status=MilestoneStatus.DONE)
                .order_by("stage")
                .first()
            )
            message = _("This stage cannot be done while an earlier stage (%(stage)s) is not done.")
        else:
            first = (
                others.filter(stage__gt=self.stage, status=MilestoneStatus.DONE)
                .order_by("stage")
                .first()
            )
            message = _("This stage must be done: a later stage (%(stage)s) is done.")
        if first is not None:
            raise ValidationError(
                {
                    "status": ValidationError(
                        message,
                        code="milestone_order",
                        params={"stage": first.get_stage_display()},
                    )
                }
            )

    def is_overdue(self, today=None):
        today = today or timezone.localdate()
        return (
            self.status != MilestoneStatus.DONE
            and self.target_date is not None
            and self.target_date < today
        )


class BaselineImmutable(Exception):
    """A baseline is never changed or deleted: a correction is a new baseline."""


class Baseline(models.Model):
    """The state of the data when a round was closed, addressable as "round-3".

    Nothing is copied: the state is read from the history the portal keeps of every
    mapping, clause, limit and standard (standards/baselines.py, `as_of` its moment).
    What is kept here is the moment, who took it, and the digest and counts of that
    state, so that the baseline's state can be checked again at any time. A baseline is
    never changed (the database refuses an UPDATE) nor deleted; a correction is a new
    baseline of the same round, with a reason, and "round-3" then means the newest."""

    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="baselines", verbose_name=_("round")
    )
    sequence = models.PositiveSmallIntegerField(_("sequence"), default=1)
    taken_at = models.DateTimeField(_("taken at"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    digest = models.CharField(_("digest of the state"), max_length=64)
    mapping_count = models.PositiveIntegerField(_("mappings"), default=0)
    clause_count = models.PositiveIntegerField(_("clauses"), default=0)
    limit_count = models.PositiveIntegerField(_("limits"), default=0)
    standard_count = models.PositiveIntegerField(_("standards"), default=0)

    class Meta:
        ordering = ["round__number", "sequence"]
        verbose_name = _("baseline")
        verbose_name_plural = _("baselines")
        get_latest_by = "taken_at"
        constraints = [
            models.UniqueConstraint(
                fields=["round", "sequence"], name="baseline_sequence_unique_in_round"
            ),
            models.CheckConstraint(
                condition=Q(sequence=1) | ~Q(reason=""),
                name="baseline_correction_has_reason",
                violation_error_code="baseline_correction_has_reason",
                violation_error_message=_("A corrected baseline needs a reason."),
            ),
        ]

    def __str__(self):
        return str(self.title)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise BaselineImmutable(
                "A baseline is never changed; take a corrected baseline with a reason."
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise BaselineImmutable("A baseline is never deleted.")

    @property
    def label(self):
        """The address of this baseline in "since=" and "as_of=": round-3, or round-3.2
        for a correction (round-3 alone means the round's newest baseline)."""
        number = self.round.number
        return f"round-{number}" if self.sequence == 1 else f"round-{number}.{self.sequence}"

    @property
    def title(self):
        if self.sequence == 1:
            return _("Round %(number)s baseline") % {"number": self.round.number}
        return _("Round %(number)s baseline, correction %(correction)s") % {
            "number": self.round.number,
            "correction": self.sequence - 1,
        }


class NegotiationNote(models.Model):
    """A note or position recorded on a mapping during the talks. Append-only: a
    correction is a new note that points at the note it corrects.

    A shared note may be read by both delegations and printed in any report; an internal
    note is its side's own position, read only by members of that side's delegation and
    printed only in that delegation's internal reports (standards/notes.py)."""

    Side = NegotiationNoteSide
    Visibility = NegotiationNoteVisibility

    mapping = models.ForeignKey(
        ClauseMapping, on_delete=models.CASCADE, related_name="notes_log", verbose_name=_("mapping")
    )
    side = models.CharField(_("side"), max_length=5, choices=NegotiationNoteSide)
    meeting = models.CharField(
        _("meeting or round"), max_length=200, help_text=_("e.g. “Round 3, Astana”.")
    )
    round = models.ForeignKey(
        Round,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notes",
        verbose_name=_("round"),
    )
    date = models.DateField(_("date"))
    text = models.TextField(_("note or position"))
    # Internal unless said otherwise: a position never reaches the other side by default.
    visibility = models.CharField(
        _("visibility"),
        max_length=8,
        choices=NegotiationNoteVisibility,
        default=NegotiationNoteVisibility.INTERNAL,
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects note"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["-date", "-created_at"]
        verbose_name = _("negotiation note")
        verbose_name_plural = _("negotiation notes")
        constraints = [
            models.CheckConstraint(
                condition=Q(side__in=NegotiationNoteSide.values), name="note_side_valid"
            ),
            models.CheckConstraint(condition=~Q(corrects=F("id")), name="note_not_own_correction"),
            models.CheckConstraint(
                condition=Q(visibility__in=NegotiationNoteVisibility.values),
                name="note_visibility_valid",
            ),
            # A joint note belongs to no single delegation, so it cannot be internal to one.
            models.CheckConstraint(
                condition=Q(visibility="shared") | Q(side__in=["kz", "cn"]),
                name="note_internal_has_a_side",
            ),
        ]
        indexes = [
            # Pair page: the notes of one mapping, newest first.
            models.Index(fields=["mapping", "-date"], name="note_mapping_date_idx"),
        ]

    def __str__(self):
        return f"{self.mapping.key} {self.date:%Y-%m-%d} {self.get_side_display()}"

    def get_absolute_url(self):
        return f"{self.mapping.get_absolute_url()}#note-{self.pk}"


class DelegationMember(models.Model):
    """A user's delegation: members read their own side's internal notes and may produce
    its internal reports. A user with no delegation reads shared notes only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="delegation_member",
        verbose_name=_("user"),
    )
    delegation = models.CharField(_("delegation"), max_length=2, choices=Delegation)

    class Meta:
        verbose_name = _("delegation member")
        verbose_name_plural = _("delegation members")
        constraints = [
            models.CheckConstraint(
                condition=Q(delegation__in=Delegation.values), name="delegation_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user.get_username()} · {self.get_delegation_display()}"


class PendingImport(models.Model):
    """An uploaded spreadsheet between its preview and the confirmation that imports
    it. Kept in the database, not on an app server's disk, so that the confirmation may
    reach any server; removed when it is imported and after a day in any case."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    content = models.BinaryField(_("content"))
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("pending import")
        verbose_name_plural = _("pending imports")

    def __str__(self):
        return self.name


class WatchKind(models.TextChoices):
    MAPPING = "mapping", _("Mapping")
    TOPIC = "topic", _("Topic")
    STANDARD = "standard", _("Standard")
    ROUND = "round", _("Round")
    # The market-access registers: establishments whose renewal falls due and corrective
    # actions of the site visits that become overdue. It names no target.
    MARKET = "market", _("Market access")


# The field each kind of watch names its target by (a kind not here names none).
WATCH_TARGETS = {
    WatchKind.MAPPING: "mapping",
    WatchKind.TOPIC: "topic",
    WatchKind.STANDARD: "standard",
    WatchKind.ROUND: "round",
}


def _watch_targets_match_kind():
    """Each kind of watch names exactly its own target and none of the others."""
    condition = Q()
    for kind in WatchKind:
        name = WATCH_TARGETS.get(kind)
        names_only_its_target = Q(kind=kind)
        for other in WATCH_TARGETS.values():
            if other == "topic":
                names_only_its_target &= ~Q(topic="") if other == name else Q(topic="")
            else:
                isnull = {f"{other}__isnull": other != name}
                names_only_its_target &= Q(**isnull)
        condition |= names_only_its_target
    return condition


class Watch(models.Model):
    """A user's interest in a mapping, a topic, a standard or a round: the digests
    (standards.watches) tell them what changed there. The mappings of a watched topic
    or standard count as watched."""

    Kind = WatchKind

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="watches",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=8, choices=WatchKind)
    mapping = models.ForeignKey(
        ClauseMapping,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="watches",
        verbose_name=_("mapping"),
    )
    topic = models.CharField(_("topic"), max_length=30, choices=Topic, blank=True)
    standard = models.ForeignKey(
        Standard,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="watches",
        verbose_name=_("standard"),
    )
    round = models.ForeignKey(
        Round,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="watches",
        verbose_name=_("round"),
    )
    created_at = models.DateTimeField(_("watched since"), auto_now_add=True)

    class Meta:
        ordering = ["kind", "created_at", "pk"]
        verbose_name = _("watch")
        verbose_name_plural = _("watches")
        constraints = [
            models.CheckConstraint(
                condition=_watch_targets_match_kind(), name="watch_target_matches_kind"
            ),
            models.UniqueConstraint(
                fields=["user", "mapping"],
                condition=Q(kind=WatchKind.MAPPING),
                name="watch_mapping_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "topic"],
                condition=Q(kind=WatchKind.TOPIC),
                name="watch_topic_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "standard"],
                condition=Q(kind=WatchKind.STANDARD),
                name="watch_standard_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "round"],
                condition=Q(kind=WatchKind.ROUND),
                name="watch_round_unique",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(kind=WatchKind.MARKET),
                name="watch_market_unique",
            ),
        ]

    def __str__(self):
        return f"{self.user.get_username()} · {self.get_kind_display()} · {self.target}"

    @property
    def target(self):
        if self.kind == WatchKind.TOPIC:
            return self.get_topic_display()
        if self.kind == WatchKind.MARKET:
            return _("Renewals of the establishments and overdue corrective actions")
        return getattr(self, WATCH_TARGETS.get(self.kind, "mapping"), None)

    def target_url(self):
        target = self.target
        return target.get_absolute_url() if hasattr(target, "get_absolute_url") else ""


class DigestFrequency(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class WatchPreference(models.Model):
    """How a user receives the digests of what they watch: how often, whether by email
    as well as on /notifications/, and in which language."""

    Frequency = DigestFrequency

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="watch_preference",
        verbose_name=_("user"),
    )
    frequency = models.CharField(
        _("frequency"), max_length=11, choices=DigestFrequency, default=DigestFrequency.DAILY
    )
    email = models.BooleanField(_("by email"), default=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    last_sent_at = models.DateTimeField(
        _("last digest up to"),
        null=True,
        blank=True,
        help_text=_("The end of the period the last digest covered; the next one starts here."),
    )

    class Meta:
        verbose_name = _("watch preference")
        verbose_name_plural = _("watch preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency__in=DigestFrequency.values),
                name="watch_preference_frequency_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user.get_username()} · {self.get_frequency_display()}"


class Notification(models.Model):
    """A digest delivered to a user: on /notifications/, and by email when they asked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=500, blank=True)
    period_start = models.DateTimeField(_("covers from"))
    period_end = models.DateTimeField(_("covers until"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed = models.BooleanField(_("sent by email"), default=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The unread count in every page's navigation.
            models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
        ]

    def __str__(self):
        return f"{self.user.get_username()} · {self.subject}"


class EstablishmentActivity(models.TextChoices):
    """What a plant does (MARKET_ACCESS.md §7 item 3)."""

    SLAUGHTER = "slaughter", _("Slaughter")
    CUTTING = "cutting", _("Cutting")
    PROCESSING = "processing", _("Processing and heat treatment")
    COLD_STORE = "cold_store", _("Cold store")


class ReviewMethod(models.TextChoices):
    """How GACC reviewed the plant before registering it (Decree 248: document review,
    video inspection, on-site inspection)."""

    NOT_KNOWN = "", _("Not known")
    DOCUMENT = "document", _("Document review")
    VIDEO = "video", _("Video inspection")
    ON_SITE = "on_site", _("On-site inspection")


class EstablishmentStatus(models.TextChoices):
    LISTED = "listed", _("Listed")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")


class RenewalState(models.TextChoices):
    """Where a registration stands against its renewal window (standards.establishments)."""

    OPEN = "open", _("Renewal window open")
    CLOSING = "closing", _("Renewal window closing soon")
    LATE = "late", _("Renewal window passed, no renewal filed")
    LAPSED = "lapsed", _("Expired without renewal")


class EstablishmentQuerySet(models.QuerySet):
    def with_state(self, today=None):
        """Each plant's status as of `today` (`current_status`: expired once its expiry
        date has passed, whatever the recorded status) and its renewal state
        (`renewal_state`, None when no renewal is due): standards.establishments."""
        from standards.establishments import current_status_expression, renewal_state_expression

        today = today or timezone.localdate()
        return self.annotate(
            current_status=current_status_expression(today),
            renewal_state=renewal_state_expression(today),
        )


class Establishment(models.Model):
    """A Kazakh plant registered (or to be registered) with GACC under Decree 248: its
    numbers, activities and products, how it was reviewed, its five-year listing and its
    status, every change of which is kept (EstablishmentStatusChange).

    The expiry and the renewal window are derived from the listing date when the plant
    is saved (standards.establishments.registration_dates), never typed."""

    Activity = EstablishmentActivity
    Status = EstablishmentStatus
    Method = ReviewMethod

    key = models.SlugField(
        _("key"),
        max_length=80,
        unique=True,
        help_text=_("A stable name for the record, used by the spreadsheets."),
    )
    kz_approval_number = models.CharField(_("Kazakh approval number"), max_length=100, blank=True)
    cn_registration_number = models.CharField(
        _("China registration number"), max_length=100, blank=True
    )
    name = models.CharField(_("name"), max_length=300)
    region = models.CharField(
        _("region"),
        max_length=20,
        choices=KazakhRegion,
        blank=True,
        help_text=_("Blank when the source does not say."),
    )
    activities = models.CharField(
        _("activities"),
        max_length=200,
        blank=True,
        help_text=_("Codes separated by spaces: slaughter, cutting, processing, cold_store."),
    )
    products = models.CharField(
        _("products"),
        max_length=500,
        blank=True,
        help_text=_("Species and processing form, e.g. “cattle:frozen sheep:heat_treated”."),
    )
    recommended_on = models.DateField(
        _("recommended by the Kazakh authority on"), null=True, blank=True
    )
    review_method = models.CharField(
        _("GACC review method"), max_length=10, choices=ReviewMethod, blank=True
    )
    listing_date = models.DateField(
        _("listing date"),
        null=True,
        blank=True,
        help_text=_(
            "The day GACC listed the plant, or the day its renewed registration runs from; "
            "the expiry is five years later."
        ),
    )
    expires_on = models.DateField(_("expiry date"), null=True, blank=True, editable=False)
    renewal_opens_on = models.DateField(
        _("renewal window opens"), null=True, blank=True, editable=False
    )
    renewal_closes_on = models.DateField(
        _("renewal window closes"), null=True, blank=True, editable=False
    )
    renewal_filed_on = models.DateField(
        _("renewal filed on"),
        null=True,
        blank=True,
        help_text=_(
            "The day the renewal of the current registration was filed; a day before the "
            "listing date belongs to an earlier registration."
        ),
    )
    status = models.CharField(
        _("recorded status"),
        max_length=10,
        choices=EstablishmentStatus,
        default=EstablishmentStatus.LISTED,
    )
    status_since = models.DateField(_("status since"), null=True, blank=True)
    status_evidence = models.TextField(
        _("status evidence"),
        blank=True,
        help_text=_("The notice or listing that shows the status."),
    )
    status_citation = models.CharField(_("status official citation"), max_length=300, blank=True)
    dates_note = models.CharField(
        _("dates as given by the source"),
        max_length=200,
        blank=True,
        help_text=_("e.g. “Jun 2024” where the source gives no day."),
    )
    source = models.TextField(_("source"), blank=True)
    confidence = models.CharField(
        _("source confidence"), max_length=6, choices=Confidence, default=Confidence.LOW
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()
    objects = EstablishmentQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("establishment")
        verbose_name_plural = _("establishments")
        constraints = [
            models.UniqueConstraint(
                fields=["kz_approval_number"],
                condition=~Q(kz_approval_number=""),
                name="establishment_kz_number_unique",
                violation_error_code="kz_approval_number_taken",
                violation_error_message=_(
                    "Another establishment already has this Kazakh approval number."
                ),
            ),
            models.UniqueConstraint(
                fields=["cn_registration_number"],
                condition=~Q(cn_registration_number=""),
                name="establishment_cn_number_unique",
                violation_error_code="cn_registration_number_taken",
                violation_error_message=_(
                    "Another establishment already has this China registration number."
                ),
            ),
            models.CheckConstraint(
                condition=Q(region="") | Q(region__in=KazakhRegion.values),
                name="establishment_region_valid",
            ),
            models.CheckConstraint(
                condition=Q(review_method__in=ReviewMethod.values),
                name="establishment_review_method_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=EstablishmentStatus.values),
                name="establishment_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values),
                name="establishment_confidence_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        from standards.establishments import record_status_change, registration_dates

        self.expires_on, self.renewal_opens_on, self.renewal_closes_on = registration_dates(
            self.listing_date
        )
        with transaction.atomic():
            previous = (
                Establishment.objects.filter(pk=self.pk).values_list("status", flat=True).first()
                if self.pk
                else None
            )
            super().save(*args, **kwargs)
            record_status_change(self, previous)

    def get_absolute_url(self):
        return reverse("standards:establishment-detail", args=[self.pk])

    def clean(self):
        from standards.establishments import check_activities, check_products

        super().clean()
        errors = {}
        for field, check in (("activities", check_activities), ("products", check_products)):
            try:
                setattr(self, field, check(getattr(self, field)))
            except ValidationError as error:
                errors[field] = error
        if errors:
            raise ValidationError(errors)

    @property
    def activity_labels(self):
        from standards.establishments import activity_labels

        return activity_labels(self.activities)

    @property
    def product_labels(self):
        from standards.establishments import product_labels

        return product_labels(self.products)

    def get_current_status_display(self):
        """The status as of the day the queryset's with_state() was given."""
        return EstablishmentStatus(self.current_status).label

    def get_renewal_state_display(self):
        state = getattr(self, "renewal_state", None)
        return RenewalState(state).label if state else ""


class EstablishmentStatusChange(models.Model):
    """One change of an establishment's status: the status it moved to (and from), the
    day it took effect as the source gives it, why, and the evidence. Written when the
    establishment is saved with a new status (and when it is first recorded); never
    edited afterwards."""

    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.CASCADE,
        related_name="status_changes",
        verbose_name=_("establishment"),
    )
    status = models.CharField(_("status"), max_length=10, choices=EstablishmentStatus)
    previous_status = models.CharField(
        _("previous status"), max_length=10, choices=EstablishmentStatus, blank=True
    )
    date = models.DateField(_("effective date"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    citation = models.CharField(_("official citation"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        ordering = ["establishment", "recorded_at", "pk"]
        verbose_name = _("establishment status change")
        verbose_name_plural = _("establishment status changes")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=EstablishmentStatus.values),
                name="establishment_change_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(previous_status="") | Q(previous_status__in=EstablishmentStatus.values),
                name="establishment_change_previous_valid",
            ),
        ]

    def __str__(self):
        return f"{self.establishment}: {self.get_status_display()}"


class VisitPurpose(models.TextChoices):
    COUNTRY_REVIEW = "country_review", _("Country review")
    ESTABLISHMENT_REGISTRATION = "establishment_registration", _("Establishment registration")
    FOLLOW_UP = "follow_up", _("Follow-up")


class VisitFormat(models.TextChoices):
    """How a review is held, and how a corrective action is verified."""

    DOCUMENT = "document", _("Document review")
    VIDEO = "video", _("Video")
    ON_SITE = "on_site", _("On site")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    REPORT_PENDING = "report_pending", _("Report pending")
    CLOSED = "closed", _("Closed")


class VisitFindings(models.TextChoices):
    """Whether the visit's findings are known: a report the sources do not publish is
    said to be so, rather than shown as a visit without findings."""

    RECORDED = "recorded", _("Recorded")
    NOT_PUBLISHED = "not_published", _("Not published")
    NO_REPORT_YET = "no_report_yet", _("No report yet")


class SiteVisit(models.Model):
    """A review mission or audit of the importing side (MARKET_ACCESS.md §3.4): its
    legal basis, purpose, scope and format, who requested, inspected and hosted it, the
    dates, the team and sites visited, the checklist, the findings with their corrective
    actions, the report dates and the outcome. What the sources do not give stays blank;
    findings a source does not publish are marked "not published"."""

    Purpose = VisitPurpose
    Format = VisitFormat
    Status = VisitStatus
    Findings = VisitFindings

    key = models.SlugField(_("key"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=300)
    legal_basis = models.CharField(
        _("legal basis"),
        max_length=300,
        blank=True,
        help_text=_("e.g. “Decree 249 review”, “Decree 248 registration”, “protocol Art. 5”."),
    )
    purpose = models.CharField(_("purpose"), max_length=26, choices=VisitPurpose)
    scope = models.TextField(_("scope"), blank=True)
    diseases = models.CharField(
        _("diseases"), max_length=300, blank=True, help_text=_("e.g. “FMD; HPAI”.")
    )
    products = models.TextField(
        _("products, species and processing forms"),
        blank=True,
        help_text=_("As the source names them; blank when it does not."),
    )
    zones = models.TextField(_("zones"), blank=True, help_text=_("As the source names them."))
    format = models.CharField(_("format"), max_length=8, choices=VisitFormat, blank=True)
    requesting_body = models.CharField(_("requesting body"), max_length=300, blank=True)
    inspecting_body = models.CharField(
        _("inspecting body"), max_length=300, help_text=_("e.g. “GACC; MARA”.")
    )
    host_authority = models.CharField(_("host authority"), max_length=300, blank=True)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    dates_note = models.CharField(
        _("dates as given by the source"),
        max_length=200,
        blank=True,
        help_text=_("e.g. “Dec 2023” where the source gives no day."),
    )
    status = models.CharField(
        _("status"), max_length=14, choices=VisitStatus, default=VisitStatus.PLANNED
    )
    findings_state = models.CharField(
        _("findings"),
        max_length=13,
        choices=VisitFindings,
        default=VisitFindings.NO_REPORT_YET,
        help_text=_("“Not published” when a report exists but its findings are not public."),
    )
    report_draft_date = models.DateField(_("draft report"), null=True, blank=True)
    report_comments_date = models.DateField(_("comments on the draft"), null=True, blank=True)
    report_final_date = models.DateField(_("final report"), null=True, blank=True)
    outcome = models.TextField(
        _("outcome"),
        blank=True,
        help_text=_("e.g. “listing granted”, or “ban lifted — Announcement 2024 No. 20”."),
    )
    outcome_citation = models.CharField(
        _("official citation of the outcome"), max_length=300, blank=True
    )
    pathways = models.ManyToManyField(
        Pathway, blank=True, related_name="visits", verbose_name=_("pathways")
    )
    milestone = models.ForeignKey(
        Milestone,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("pathway step it serves"),
    )
    rounds = models.ManyToManyField(
        Round, blank=True, related_name="visits", verbose_name=_("rounds")
    )
    follow_up_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_ups",
        verbose_name=_("follow-up of"),
    )
    source = models.TextField(_("source"), blank=True)
    confidence = models.CharField(
        _("source confidence"), max_length=6, choices=Confidence, default=Confidence.LOW
    )
    from_dataset = models.BooleanField(
        _("from the reference dataset"), default=False, editable=False
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[pathways, rounds])

    class Meta:
        ordering = [F("actual_start").desc(nulls_last=True), "key"]
        verbose_name = _("site visit")
        verbose_name_plural = _("site visits")
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=VisitPurpose.values), name="visit_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(format="") | Q(format__in=VisitFormat.values),
                name="visit_format_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=VisitStatus.values), name="visit_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(findings_state__in=VisitFindings.values),
                name="visit_findings_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values), name="visit_confidence_valid"
            ),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=F("planned_start")),
                name="visit_planned_dates_in_order",
                violation_error_message=_("The planned end is before the planned start."),
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=True)
                | Q(actual_end__gte=F("actual_start")),
                name="visit_actual_dates_in_order",
                violation_error_message=_("The actual end is before the actual start."),
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("standards:visit-detail", args=[self.key])

    def clean(self):
        super().clean()
        errors = {}
        for start, end in (("planned_start", "planned_end"), ("actual_start", "actual_end")):
            first, last = getattr(self, start), getattr(self, end)
            if first and last and last < first:
                errors[end] = _("The end is before the start.")
        if self.pk and self.follow_up_of_id == self.pk:
            errors["follow_up_of"] = _("A visit cannot be a follow-up of itself.")
        if errors:
            raise ValidationError(errors, code="visit_invalid")


class VisitRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    EXPERT = "expert", _("Expert")
    OBSERVER = "observer", _("Observer")
    INTERPRETER = "interpreter", _("Interpreter")


class VisitTeamMember(models.Model):
    """One member of a visit's team, named only where a source names them."""

    Role = VisitRole
    Side = NegotiationNoteSide

    visit = models.ForeignKey(
        SiteVisit, on_delete=models.CASCADE, related_name="team", verbose_name=_("visit")
    )
    name = models.CharField(_("name"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=300, blank=True)
    role = models.CharField(_("role"), max_length=11, choices=VisitRole)
    side = models.CharField(_("side"), max_length=5, choices=NegotiationNoteSide)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["visit", "side", "role", "name"]
        verbose_name = _("visit team member")
        verbose_name_plural = _("visit team members")
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=VisitRole.values), name="visit_member_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(side__in=NegotiationNoteSide.values), name="visit_member_side_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_role_display()})"


class VisitedSiteType(models.TextChoices):
    CA_HQ = "ca_hq", _("Competent authority headquarters")
    REGIONAL_OFFICE = "regional_office", _("Regional veterinary office")
    LABORATORY = "laboratory", _("Laboratory")
    BORDER_POST = "border_post", _("Border post")
    FARM = "farm", _("Farm")
    MARKET = "market", _("Market")
    SLAUGHTERHOUSE = "slaughterhouse", _("Slaughterhouse")
    CUTTING_PLANT = "cutting_plant", _("Cutting plant")
    HEAT_TREATMENT_PLANT = "heat_treatment_plant", _("Heat-treatment plant")
    COLD_STORE = "cold_store", _("Cold store")


class VisitedSite(models.Model):
    """A place the visit went to: its type, name, region and date, and the plant's
    Kazakh approval and China registration numbers where it has them."""

    Type = VisitedSiteType

    visit = models.ForeignKey(
        SiteVisit, on_delete=models.CASCADE, related_name="sites", verbose_name=_("visit")
    )
    site_type = models.CharField(_("type"), max_length=20, choices=VisitedSiteType)
    name = models.CharField(_("name"), max_length=300)
    region = models.CharField(_("region"), max_length=16, choices=KazakhRegion, blank=True)
    visited_on = models.DateField(_("date"), null=True, blank=True)
    approval_number = models.CharField(_("Kazakh approval number"), max_length=100, blank=True)
    china_registration_number = models.CharField(
        _("China registration number"), max_length=100, blank=True
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["visit", F("visited_on").asc(nulls_last=True), "name"]
        verbose_name = _("visited site")
        verbose_name_plural = _("visited sites")
        constraints = [
            models.CheckConstraint(
                condition=Q(site_type__in=VisitedSiteType.values), name="visited_site_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(region="") | Q(region__in=KazakhRegion.values),
                name="visited_site_region_valid",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_site_type_display()})"


class ChecklistItem(models.Model):
    """A requirement the visit checks: its topic, the WOAH PVS critical competency it
    refers to where relevant (the code as the report gives it, e.g. “II-4”) and the
    clause it rests on."""

    visit = models.ForeignKey(
        SiteVisit, on_delete=models.CASCADE, related_name="checklist", verbose_name=_("visit")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    requirement = models.TextField(_("requirement"))
    topic = models.CharField(_("topic"), max_length=30, choices=Topic, blank=True)
    pvs_competency = models.CharField(
        _("WOAH PVS critical competency"),
        max_length=20,
        blank=True,
        help_text=_("The competency's code as the PVS tool gives it, e.g. “II-4”."),
    )
    clause = models.ForeignKey(
        Clause,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checklist_items",
        verbose_name=_("clause"),
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["visit", "position", "pk"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.CheckConstraint(
                condition=Q(topic="") | Q(topic__in=Topic.values), name="checklist_topic_valid"
            ),
        ]

    def __str__(self):
        return self.requirement[:80]


class FindingSeverity(models.TextChoices):
    """FSIS Directive 9790.1's classes, with "observation" for a remark that is none."""

    SIGNIFICANT = "significant", _("Significant")
    SYSTEMIC = "systemic", _("Systemic")
    ISOLATED = "isolated", _("Isolated")
    OBSERVATION = "observation", _("Observation")


class Finding(models.Model):
    """What the visit found: its severity, the site, and the clauses and mappings it
    concerns. A finding is recorded only where the report is known; a visit whose
    findings are not published takes none."""

    Severity = FindingSeverity

    visit = models.ForeignKey(
        SiteVisit, on_delete=models.CASCADE, related_name="findings", verbose_name=_("visit")
    )
    text = models.TextField(_("finding"))
    site = models.ForeignKey(
        VisitedSite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="findings",
        verbose_name=_("site"),
    )
    severity = models.CharField(_("severity"), max_length=11, choices=FindingSeverity)
    clauses = models.ManyToManyField(
        Clause, blank=True, related_name="findings", verbose_name=_("clauses")
    )
    mappings = models.ManyToManyField(
        ClauseMapping, blank=True, related_name="findings", verbose_name=_("mappings")
    )
    raised_on = models.DateField(_("raised on"), null=True, blank=True)
    report_reference = models.CharField(
        _("report reference"),
        max_length=200,
        blank=True,
        help_text=_("Where the report states it, e.g. “section 5.2”."),
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[clauses, mappings])

    class Meta:
        ordering = ["visit", F("raised_on").asc(nulls_last=True), "pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=FindingSeverity.values), name="finding_severity_valid"
            ),
        ]

    def __str__(self):
        return f"{self.visit.key}: {self.text[:60]}"

    def clean(self):
        super().clean()
        errors = {}
        if (
            self.site_id is not None
            and self.visit_id is not None
            and self.site.visit_id != self.visit_id
        ):
            errors["site"] = _("The site is one of another visit.")
        visit = self.visit if self.visit_id is not None else None
        if visit is not None and visit.findings_state == VisitFindings.NOT_PUBLISHED:
            errors["text"] = _(
                "The visit's findings are marked as not published: mark them as recorded "
                "before entering one."
            )
        if errors:
            raise ValidationError(errors, code="finding_invalid")


class CorrectiveActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    VERIFIED = "verified", _("Verified")


class CorrectiveActionQuerySet(models.QuerySet):
    def unfinished(self):
        """Actions not yet done or verified."""
        return self.filter(status__in=CorrectiveAction.UNFINISHED)

    def overdue(self, today=None):
        """Actions past their deadline and not done or verified (as is_overdue)."""
        today = today or timezone.localdate()
        return self.unfinished().filter(deadline__lt=today)


class CorrectiveAction(models.Model):
    """One item of the corrective-action plan answering a finding: what, whose, by when,
    and its closure.

    Rules (clean() and the database): done needs its evidence; verified needs the
    evidence, how it was verified, by whom and the day it was closed. An action is
    overdue when its deadline has passed and it is neither done nor verified: derived
    (is_overdue, and the queryset's overdue()), never stored."""

    Status = CorrectiveActionStatus
    Side = NegotiationNoteSide
    # Not yet done or verified: such an action can be overdue.
    UNFINISHED = (CorrectiveActionStatus.OPEN, CorrectiveActionStatus.IN_PROGRESS)

    finding = models.ForeignKey(
        Finding, on_delete=models.CASCADE, related_name="actions", verbose_name=_("finding")
    )
    action = models.TextField(_("action"))
    owner_side = models.CharField(_("owner side"), max_length=5, choices=NegotiationNoteSide)
    owner_body = models.CharField(_("owner body"), max_length=300, blank=True)
    owner_person = models.CharField(_("owner person"), max_length=200, blank=True)
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=11,
        choices=CorrectiveActionStatus,
        default=CorrectiveActionStatus.OPEN,
    )
    evidence = models.TextField(
        _("evidence"),
        blank=True,
        help_text=_("Required when done or verified: the document, record or photograph."),
    )
    verification_method = models.CharField(
        _("verification method"), max_length=8, choices=VisitFormat, blank=True
    )
    verified_by = models.CharField(_("verified by"), max_length=300, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()

    objects = CorrectiveActionQuerySet.as_manager()

    class Meta:
        ordering = ["finding", F("deadline").asc(nulls_last=True), "pk"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_side__in=NegotiationNoteSide.values),
                name="corrective_owner_side_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CorrectiveActionStatus.values),
                name="corrective_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(verification_method="") | Q(verification_method__in=VisitFormat.values),
                name="corrective_method_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["done", "verified"]) | ~Q(evidence=""),
                name="corrective_done_has_evidence",
                violation_error_code="corrective_done_has_evidence",
                violation_error_message=_("A corrective action that is done needs its evidence."),
            ),
            models.CheckConstraint(
                condition=~Q(status="verified")
                | (~Q(verification_method="") & ~Q(verified_by="") & Q(closed_on__isnull=False)),
                name="corrective_verified_is_complete",
                violation_error_code="corrective_verified_is_complete",
                violation_error_message=_(
                    "A verified corrective action needs its evidence, verification method, "
                    "who verified it and the day it was closed."
                ),
            ),
        ]

    def __str__(self):
        return self.action[:80]

    def clean(self):
        super().clean()
        errors = {}
        finished = (CorrectiveActionStatus.DONE, CorrectiveActionStatus.VERIFIED)
        if self.status in finished and not self.evidence.strip():
            errors["evidence"] = _(
                "A corrective action that is done or verified needs its evidence."
            )
        if self.status == CorrectiveActionStatus.VERIFIED:
            if not self.verification_method:
                errors["verification_method"] = _(
                    "A verified corrective action needs its verification method."
                )
            if not self.verified_by.strip():
                errors["verified_by"] = _("A verified corrective action needs who verified it.")
            if self.closed_on is None:
                errors["closed_on"] = _("A verified corrective action needs the day it was closed.")
        if errors:
            raise ValidationError(errors, code="corrective_incomplete")

    def is_overdue(self, today=None):
        today = today or timezone.localdate()
        return (
            self.status in self.UNFINISHED and self.deadline is not None and self.deadline < today
        )

    def owner_display(self):
        """“Kazakhstan — body, person”, with what is known."""
        who = ", ".join(part for part in (self.owner_body, self.owner_person) if part)
        side = self.get_owner_side_display()
        return f"{side} — {who}" if who else str(side)


class Disease(models.TextChoices):
    FMD = "fmd", _("Foot-and-mouth disease (FMD)")
    HPAI = "hpai", _("Highly pathogenic avian influenza (HPAI)")
    OTHER = "other", _("Other disease")


class Zone(models.Model):
    """An area of Kazakhstan that disease decisions are taken for, made of first-level
    units (ZoneUnit). A zone the source does not break down has no units and says so in
    its name; a zone for the whole country covers every unit without listing them."""

    key = models.SlugField(_("key"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    whole_country = models.BooleanField(
        _("whole country"),
        default=False,
        help_text=_("The zone is all of Kazakhstan: every administrative unit belongs to it."),
    )
    source = models.TextField(_("source"), blank=True)
    confidence = models.CharField(
        _("source confidence"), max_length=6, choices=Confidence, default=Confidence.LOW
    )
    from_dataset = models.BooleanField(
        _("from the reference dataset"), default=False, editable=False
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values), name="zone_confidence_valid"
            ),
        ]

    def __str__(self):
        return self.name


class ZoneUnit(models.Model):
    """One administrative unit of a zone."""

    zone = models.ForeignKey(
        Zone, on_delete=models.CASCADE, related_name="units", verbose_name=_("zone")
    )
    region = models.CharField(_("administrative unit"), max_length=20, choices=KazakhRegion)

    history = HistoricalRecords()

    class Meta:
        ordering = ["zone", "region"]
        verbose_name = _("zone unit")
        verbose_name_plural = _("zone units")
        constraints = [
            models.UniqueConstraint(
                fields=["zone", "region"],
                name="zone_unit_unique",
                violation_error_message=_("The zone already has this unit."),
            ),
            models.CheckConstraint(
                condition=Q(region__in=KazakhRegion.values), name="zone_unit_region_valid"
            ),
        ]

    def __str__(self):
        return f"{self.zone.key}: {self.get_region_display()}"


class ZoneDecisionKind(models.TextChoices):
    WOAH_STATUS = "woah_status", _("WOAH official status")
    SELF_DECLARATION = "self_declaration", _("Self-declaration")
    CHINA_RECOGNITION = "china_recognition", _("China's recognition")
    BAN = "ban", _("Ban")


class ZoneDecision(models.Model):
    """A dated, sourced decision on a disease in a zone: WOAH's official status or a
    self-declaration (shown, not decisive for China), China's recognition (opens the
    zone), or a ban (closes it until lifted). standards.zoning reads them."""

    Kind = ZoneDecisionKind

    zone = models.ForeignKey(
        Zone, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("zone")
    )
    disease = models.CharField(_("disease"), max_length=5, choices=Disease)
    kind = models.CharField(_("kind"), max_length=17, choices=ZoneDecisionKind)
    status = models.CharField(
        _("status"),
        max_length=300,
        blank=True,
        help_text=_("As the source words it, e.g. “FMD free where vaccination is practised”."),
    )
    citation = models.CharField(
        _("official citation"),
        max_length=300,
        blank=True,
        help_text=_("Announcement or notice number, e.g. “GACC/MARA Announcement 2024 No. 20”."),
    )
    decided_on = models.DateField(
        _("date"), null=True, blank=True, help_text=_("Only where the source gives the day.")
    )
    year = models.PositiveSmallIntegerField(
        _("year"),
        null=True,
        blank=True,
        help_text=_(
            "The year the source gives where it gives no day; the decision counts from the "
            "start of that year."
        ),
    )
    dates_note = models.CharField(_("dates as given by the source"), max_length=200, blank=True)
    lifted_on = models.DateField(_("lifted on"), null=True, blank=True)
    lifted_by = models.CharField(
        _("lifted by"),
        max_length=300,
        blank=True,
        help_text=_("The announcement that lifted the ban."),
    )
    note = models.TextField(_("note"), blank=True)
    source = models.TextField(_("source"))
    confidence = models.CharField(
        _("source confidence"), max_length=6, choices=Confidence, default=Confidence.LOW
    )
    from_dataset = models.BooleanField(
        _("from the reference dataset"), default=False, editable=False
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["zone", "disease", "decided_on", "year", "pk"]
        verbose_name = _("zone decision")
        verbose_name_plural = _("zone decisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(disease__in=Disease.values), name="zone_decision_disease_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ZoneDecisionKind.values), name="zone_decision_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values),
                name="zone_decision_confidence_valid",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=False) | Q(year__isnull=False),
                name="zone_decision_dated",
                violation_error_code="zone_decision_dated",
                violation_error_message=_("A decision needs its date, or at least its year."),
            ),
            models.CheckConstraint(
                condition=Q(kind="ban") | (Q(lifted_on__isnull=True) & Q(lifted_by="")),
                name="zone_decision_only_ban_lifted",
                violation_error_code="zone_decision_only_ban_lifted",
                violation_error_message=_("Only a ban is lifted."),
            ),
        ]

    def __str__(self):
        return f"{self.zone}: {self.get_disease_display()}, {self.get_kind_display()}"

    @property
    def starts_on(self):
        """The day the decision counts from: its date, or 1 January of its year."""
        import datetime

        if self.decided_on is not None:
            return self.decided_on
        return datetime.date(self.year, 1, 1) if self.year else None

    def clean(self):
        super().clean()
        errors = {}
        if self.decided_on is None and self.year is None:
            errors["decided_on"] = _("A decision needs its date, or at least its year.")
        if self.decided_on is not None and self.year not in (None, self.decided_on.year):
            errors["year"] = _("The year is not the year of the date.")
        if self.lifted_on is not None and self.kind != ZoneDecisionKind.BAN:
            errors["lifted_on"] = _("Only a ban is lifted.")
        start = self.starts_on
        if self.lifted_on is not None and start is not None and self.lifted_on < start:
            errors["lifted_on"] = _("A ban is not lifted before it is in force.")
        if errors:
            raise ValidationError(errors, code="zone_decision_invalid")


class CatalogueStatus(models.TextChoices):
    ADMITTED = "admitted", _("Admitted")
    UNDER_NEGOTIATION = "under_negotiation", _("Under negotiation")
    SUSPENDED = "suspended", _("Suspended")
    NOT_REQUESTED = "not_requested", _("Not requested")


validate_hs_code = RegexValidator(
    r"^(?=(?:\d\.?){4,10}$)\d+(?:\.\d+)*$",
    message=_("An HS code is 4 to 10 digits, optionally dotted (0202.30 or 020230)."),
    code="hs_code_invalid",
)


class CatalogueEntry(models.Model):
    """One product in the export catalogue toward China: its status, permitted zones,
    legal basis, certificate and dates, with conditions as typed limits. Every change
    raises the revision and is kept in the history (standards.catalogue.changes_since)."""

    Status = CatalogueStatus

    key = models.SlugField(_("key"), max_length=80, unique=True)
    product = models.CharField(_("product"), max_length=300)
    hs_code = models.CharField(
        _("HS code"),
        max_length=13,
        blank=True,
        validators=[validate_hs_code],
        help_text=_("Blank where the source gives none."),
    )
    species = models.CharField(_("species"), max_length=10, choices=PathwaySpecies)
    processing_form = models.CharField(
        _("processing form"), max_length=12, choices=ProcessingForm, blank=True
    )
    status = models.CharField(_("status for China"), max_length=17, choices=CatalogueStatus)
    status_note = models.CharField(_("status as the source gives it"), max_length=500, blank=True)
    zones = models.ManyToManyField(
        Zone, blank=True, related_name="catalogue_entries", verbose_name=_("permitted zones")
    )
    protocol = models.CharField(_("protocol"), max_length=500, blank=True)
    announcement = models.CharField(_("GACC announcement"), max_length=500, blank=True)
    certificate = models.CharField(_("certificate model"), max_length=500, blank=True)
    effective_on = models.DateField(_("effective date"), null=True, blank=True)
    closing_on = models.DateField(_("closing date"), null=True, blank=True)
    dates_note = models.CharField(_("dates as given by the source"), max_length=300, blank=True)
    pathway = models.ForeignKey(
        Pathway,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="catalogue_entries",
        verbose_name=_("pathway"),
    )
    source = models.TextField(_("source"))
    confidence = models.CharField(
        _("source confidence"), max_length=6, choices=Confidence, default=Confidence.LOW
    )
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    revised_on = models.DateField(_("revised on"), default=timezone.localdate, editable=False)
    from_dataset = models.BooleanField(
        _("from the reference dataset"), default=False, editable=False
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[zones])

    class Meta:
        ordering = ["key"]
        verbose_name = _("catalogue entry")
        verbose_name_plural = _("catalogue entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(species__in=PathwaySpecies.values), name="catalogue_species_valid"
            ),
            models.CheckConstraint(
                condition=Q(processing_form__in=ProcessingForm.values),
                name="catalogue_form_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CatalogueStatus.values), name="catalogue_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values),
                name="catalogue_confidence_valid",
            ),
            models.CheckConstraint(
                condition=Q(closing_on__isnull=True)
                | Q(effective_on__isnull=True)
                | Q(closing_on__gte=F("effective_on")),
                name="catalogue_closing_not_before_effective",
                violation_error_code="catalogue_closing_not_before_effective",
                violation_error_message=_("The closing date is not before the effective date."),
            ),
        ]

    def __str__(self):
        return self.product

    def save(self, *args, **kwargs):
        # A change of what the entry says raises its revision (FSIS-style revision code).
        if self.pk is not None and not getattr(self, "_same_revision", False):
            self.revision = (self.revision or 0) + 1
            self.revised_on = timezone.localdate()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("standards:catalogue-detail", args=[self.key])

    @property
    def revision_code(self):
        return f"KZ-CN-{self.revision}"

    def clean(self):
        super().clean()
        if self.effective_on and self.closing_on and self.closing_on < self.effective_on:
            raise ValidationError(
                {"closing_on": _("The closing date is not before the effective date.")},
                code="catalogue_closing_not_before_effective",
            )


class CatalogueCondition(TypedLimit):
    """A condition of a catalogue entry as a typed limit (age below 30 months, bone
    prohibited, core temperature at least 70 °C): the figures and their rules are a
    clause limit's (TypedLimit)."""

    entry = models.ForeignKey(
        CatalogueEntry,
        on_delete=models.CASCADE,
        related_name="conditions",
        verbose_name=_("catalogue entry"),
    )
    parameter = models.ForeignKey(
        Parameter,
        on_delete=models.PROTECT,
        related_name="catalogue_conditions",
        verbose_name=_("parameter"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    source = models.TextField(_("source"), blank=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["entry", "position", "pk"]
        verbose_name = _("catalogue condition")
        verbose_name_plural = _("catalogue conditions")
        constraints = _typed_limit_constraints()

    def display(self):
        from standards.catalogue import condition_text

        return condition_text(self)
