from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
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


class Limit(models.Model):
    """A typed quantitative requirement carried by a clause.

    `value` is the figure of a maximum or minimum, the lower bound of a range, or the
    sample quantity of an absence requirement ("not detected in 25 g": 25 g). A
    microbiological sampling plan adds n, c, m and M; for a maximum, value equals m.
    """

    Kind = LimitKind

    clause = models.ForeignKey(
        Clause, on_delete=models.CASCADE, related_name="limits", verbose_name=_("clause")
    )
    parameter = models.ForeignKey(
        Parameter, on_delete=models.PROTECT, related_name="limits", verbose_name=_("parameter")
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind)
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
    plan_n = models.PositiveSmallIntegerField(_("n (sample units)"), null=True, blank=True)
    plan_c = models.PositiveSmallIntegerField(_("c (units allowed above m)"), null=True, blank=True)
    plan_m = models.DecimalField(_("m"), max_digits=24, decimal_places=12, null=True, blank=True)
    plan_big_m = models.DecimalField(
        _("M"), max_digits=24, decimal_places=12, null=True, blank=True
    )
    note = models.TextField(_("note"), blank=True)
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
            models.CheckConstraint(
                condition=Q(kind__in=LimitKind.values),
                name="limit_kind_valid",
                violation_error_code="limit_kind_valid",
                violation_error_message=_(
                    "The kind is one of maximum, minimum, range, absent, prohibited and "
                    "no limit set."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["maximum", "minimum"])
                | Q(value__isnull=False, upper_value__isnull=True),
                name="limit_bound_has_one_value",
                violation_error_code="limit_bound_has_one_value",
                violation_error_message=_(
                    "A maximum or a minimum needs one value and no upper value."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(kind="range")
                | Q(value__isnull=False, upper_value__isnull=False, value__lte=F("upper_value")),
                name="limit_range_ordered",
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
                name="limit_absent_has_quantity",
                violation_error_code="limit_absent_has_quantity",
                violation_error_message=_(
                    "An absence needs the sample quantity as a positive value and no upper value."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["prohibited", "no_limit"])
                | Q(value__isnull=True, upper_value__isnull=True),
                name="limit_without_figures",
                violation_error_code="limit_without_figures",
                violation_error_message=_(
                    "A prohibition or a “no limit set” carries no value and no upper value."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(kind="prohibited_lod")
                | Q(value__isnull=False, value__gt=0, upper_value__isnull=True),
                name="limit_lod_has_value",
                violation_error_code="limit_lod_has_value",
                violation_error_message=_(
                    "A prohibition with a limit of detection needs that limit as a positive "
                    "value and no upper value."
                ),
            ),
            models.CheckConstraint(
                condition=Q(evidence__in=[e.value for e in FIGURE_EVIDENCE]),
                name="limit_evidence_valid",
                violation_error_code="limit_evidence_valid",
                violation_error_message=_(
                    "A figure's evidence is read, secondary source or not read."
                ),
            ),
            models.CheckConstraint(
                condition=Q(plan_n__isnull=True) | Q(plan_n__gte=1),
                name="limit_plan_n_positive",
                violation_error_code="limit_plan_n_positive",
                violation_error_message=_("A sampling plan's n is at least 1."),
            ),
            models.CheckConstraint(
                condition=Q(plan_c__isnull=True) | Q(plan_n__isnull=False, plan_c__lte=F("plan_n")),
                name="limit_plan_c_within_n",
                violation_error_code="limit_plan_c_within_n",
                violation_error_message=_("A sampling plan's c needs an n and is not above it."),
            ),
            models.CheckConstraint(
                condition=Q(plan_m__isnull=True)
                | Q(plan_big_m__isnull=True)
                | Q(plan_m__lte=F("plan_big_m")),
                name="limit_plan_m_not_above_big_m",
                violation_error_code="limit_plan_m_not_above_big_m",
                violation_error_message=_("A sampling plan's m is not above its M."),
            ),
        ]

    def __str__(self):
        from limits.notation import format_limit

        return format_limit(self)

    def get_absolute_url(self):
        return self.clause.get_absolute_url()

    def clean(self):
        super().clean()
        self.clean_unit()

    def clean_unit(self):
        """The unit measures what the parameter's canonical unit measures: lead in CFU/g
        is refused. An absence's unit is that of the sample quantity ("in 25 g") and is
        not a unit of the parameter."""
        from limits.units import UnitError, fits, unit_kind

        if not self.unit or self.kind == LimitKind.ABSENT or self.parameter_id is None:
            return
        canonical = self.parameter.unit
        if not canonical:
            return
        try:
            fitting = fits(self.unit, canonical)
        except UnitError:
            return  # a unit the portal cannot read is not compared; nothing to check
        if not fitting:
            raise ValidationError(
                {
                    "unit": ValidationError(
                        _("%(unit)s does not fit %(parameter)s: expected a unit of %(expected)s.")
                        % {
                            "unit": self.unit,
                            "parameter": self.parameter.name_en,
                            "expected": unit_kind(canonical),
                        },
                        code="unit_does_not_fit",
                    )
                }
            )

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
    # Set by the reference loader; cleared when an editor saves the pathway in the
    # admin, after which the loader leaves it alone.
    from_dataset = models.BooleanField(
        _("from the reference dataset"), default=False, editable=False
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[mappings, rounds])

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


# The field each kind of watch names its target by.
WATCH_TARGETS = {
    WatchKind.MAPPING: "mapping",
    WatchKind.TOPIC: "topic",
    WatchKind.STANDARD: "standard",
    WatchKind.ROUND: "round",
}


def _watch_targets_match_kind():
    """Each kind of watch names exactly its own target and none of the others."""
    condition = Q()
    for kind, name in WATCH_TARGETS.items():
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
        ]

    def __str__(self):
        return f"{self.user.get_username()} · {self.get_kind_display()} · {self.target}"

    @property
    def target(self):
        if self.kind == WatchKind.TOPIC:
            return self.get_topic_display()
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
