"""Synthetic comparison data for load tests and benchmarks.

`generate(n, seed)` creates n clause mappings (keys SYN-000001 …) together with the
synthetic standards (keys syn-kz-0001 …, syn-cn-0001 …, codes "SYN-KZ 0001/2024",
"SYN-GB 0001-2024"), clauses and typed limits they cite. Texts are composed from small
per-topic vocabularies of real domain phrases in Russian or Kazakh (Kazakh side),
Chinese (Chinese side) and English (working translation), with figures that follow the
mapping's alignment: on a "China stricter" mapping the Chinese lead maximum is lower.
The vocabulary is data (standards/data/synthetic/vocabulary.yaml, read once by
load_vocabulary); this module is the generator.

Deterministic: the same n and seed give the same keys, texts, figures, statuses and
alignments on any database (only primary keys and timestamps differ).

Idempotent by replacement: the synthetic data is owned by this module. Every run first
deletes all synthetic data (standards whose key starts with "syn-", with their clauses
and limits, and mappings whose key starts with "SYN-") and then generates afresh, all in
one transaction. A run with (n, seed) therefore leaves the same synthetic data whatever
was there before, and real data is never touched (a real mapping that cited a synthetic
clause only loses that citation). Parameters are shared reference data: existing rows
are used as they are, missing ones are created by key and left in place.

Fast: rows are written with bulk_create in batches, search_text is computed in Python
(Clause.build_search_text with the parameters passed in), and mappings are processed in
chunks so that memory stays flat up to MAX_MAPPINGS.
"""

import random
import time
from collections import deque
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import yaml
from django.db import connection, transaction

from limits.notation import format_number
from standards.models import (
    Clause,
    ClauseMapping,
    Confidence,
    Limit,
    Parameter,
    ProductScope,
    Standard,
    Topic,
)

VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "synthetic" / "vocabulary.yaml"

STANDARD_KEY_PREFIX = "syn-"
MAPPING_KEY_PREFIX = "SYN-"
MAX_MAPPINGS = 200_000
DEFAULT_SEED = 1
BATCH_SIZE = 1000
CHUNK_SIZE = 5000  # mappings generated and written per round
REUSE_RATE = 0.08  # share of cited clauses that another mapping already cites
REUSE_POOL = 64  # recent clauses per (side, product group, item) that may be cited again
KAZAKH_TITLE_RATE = 0.25  # share of Kazakh-side documents titled in Kazakh, not Russian
METHOD_RATE = 0.5  # share of clauses of a tested topic that name their test method
OWN_GROUP_RATE = 0.85  # share of clauses scoped to their mapping's product group, not both
ONE_CLAUSE_RATE = 0.7  # share of a mapping's sides that cite one clause, not two
POWER_OF_TEN_FROM = 10000  # whole figures from here on are written 1×10⁵ where they can be

KZ, CN = "kz", "cn"
LANGS = ("en", "ru", "kk", "zh")  # every text of the vocabulary is in each of these

A = ClauseMapping.Alignment
S = ClauseMapping.Status


class SyntheticDataError(Exception):
    """The synthetic data cannot be generated as asked."""


# ---------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class LimitSpec:
    parameter: str
    kind: str
    unit: str
    plan: tuple[int, int, int] | None = None  # n, c, factor of M over m (0: no M)


@dataclass(frozen=True)
class Item:
    """One requirement that a clause of either side can state.

    `texts` are templates per language: {p} is the product, {0}, {1} … the figures of
    the level; `short` is the English figure alone, for rationales. `levels` run from
    the most lenient to the strictest; a range limit takes two figures of a level, every
    other limit one.
    """

    title: str
    heading: str
    texts: dict
    short: str
    levels: tuple
    limits: tuple = ()

    def figures(self, level, lang="en"):
        return [figure(value, lang) for value in level]

    def summary(self, level):
        return self.short.format(*self.figures(level))


@dataclass(frozen=True)
class Vocabulary:
    """The vocabulary file in the shapes the generator draws from: choice values as the
    models' choice members, weights as (value, weight) pairs in the file's order."""

    parameters: dict  # key -> Parameter fields
    items: dict  # Topic -> Items
    products: dict  # product group -> species -> name by language
    species: tuple
    methods: dict  # side -> ((English, original), …)
    tested_topics: frozenset
    method_sentence: dict  # language -> sentence
    subjects: tuple  # subject by language
    issuers: dict  # side -> names
    kinds: dict  # side -> ((Standard.Kind, weight), …)
    standard_statuses: tuple
    alignments: tuple
    statuses: tuple
    confidences: tuple
    rationales: dict  # Alignment -> template
    actions: dict  # Status -> text


def load_vocabulary(path=VOCABULARY_FILE):
    """Read the vocabulary file; raise SyntheticDataError where it is not as described
    at its top."""
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    parameters = raw["parameters"]
    return Vocabulary(
        parameters=parameters,
        items={
            Topic(topic): tuple(_item(entry, parameters) for entry in entries)
            for topic, entries in raw["items"].items()
        },
        products={
            group: {
                species: _in_every_language(names, f"products: {group} {species!r}")
                for species, names in by_species.items()
            }
            for group, by_species in raw["products"].items()
        },
        species=tuple(raw["species"]),
        methods={side: tuple(map(tuple, pairs)) for side, pairs in raw["methods"].items()},
        tested_topics=frozenset(Topic(topic) for topic in raw["tested_topics"]),
        method_sentence=_in_every_language(raw["method_sentence"], "method_sentence"),
        subjects=tuple(
            _in_every_language(subject, f"subjects[{i}]")
            for i, subject in enumerate(raw["subjects"])
        ),
        issuers={side: tuple(names) for side, names in raw["issuers"].items()},
        kinds={side: _weights(weights, Standard.Kind) for side, weights in raw["kinds"].items()},
        standard_statuses=_weights(raw["standard_statuses"], Standard.Status),
        alignments=_weights(raw["alignments"], A),
        statuses=_weights(raw["statuses"], S),
        confidences=_weights(raw["confidences"], Confidence),
        rationales={A(value): text for value, text in raw["rationales"].items()},
        actions={S(value): text for value, text in raw["actions"].items()},
    )


def _item(entry, parameters):
    where = f"items: {entry['title']!r}"
    limits = tuple(
        LimitSpec(
            spec["parameter"],
            spec["kind"],
            spec["unit"],
            tuple(spec["plan"]) if "plan" in spec else None,
        )
        for spec in entry.get("limits", ())
    )
    unknown = [spec.parameter for spec in limits if spec.parameter not in parameters]
    if unknown:
        raise SyntheticDataError(f"{where}: unknown parameter {unknown[0]!r}")
    return Item(
        title=entry["title"],
        heading=entry["heading"],
        texts=_in_every_language(entry["texts"], where),
        short=entry["short"],
        levels=tuple(_level(level, where) for level in entry["levels"]),
        limits=limits,
    )


def _level(level, where):
    """A level as a tuple of figures; each a quoted string, so that it stays exact."""
    figures = tuple(level) if isinstance(level, list) else (level,)
    if not all(isinstance(value, str) for value in figures):
        raise SyntheticDataError(f"{where}: write the figures of {level!r} as quoted strings")
    return figures


def _in_every_language(texts, where):
    if not isinstance(texts, dict) or set(texts) != set(LANGS):
        raise SyntheticDataError(f"{where}: expected a text for each of {', '.join(LANGS)}")
    return texts


def _weights(weights, choices):
    return tuple((choices(value), weight) for value, weight in weights.items())


VOCABULARY = load_vocabulary()
PARAMETERS = VOCABULARY.parameters
ITEMS = VOCABULARY.items
PRODUCTS = VOCABULARY.products
SPECIES = VOCABULARY.species
METHODS = VOCABULARY.methods
TESTED_TOPICS = VOCABULARY.tested_topics
METHOD_SENTENCE = VOCABULARY.method_sentence
SUBJECTS = VOCABULARY.subjects
ISSUERS = VOCABULARY.issuers
KINDS = VOCABULARY.kinds
STANDARD_STATUSES = VOCABULARY.standard_statuses
ALIGNMENTS = VOCABULARY.alignments
STATUSES = VOCABULARY.statuses
CONFIDENCES = VOCABULARY.confidences
RATIONALES = VOCABULARY.rationales
ACTIONS = VOCABULARY.actions


def _weighted(pairs):
    return [value for value, weight in pairs for _ in range(weight)]


def _balanced(rng, pairs):
    """Endless stream of values in shuffled blocks, so every value occurs in each block."""
    block = _weighted(pairs)
    while True:
        order = block[:]
        rng.shuffle(order)
        yield from order


SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def figure(value, lang):
    """A figure as the language writes it: decimal comma in Russian and Kazakh, 1×10⁵."""
    number = Decimal(value)
    if number >= POWER_OF_TEN_FROM and number == number.to_integral_value():
        digits = str(int(number))
        mantissa = digits.rstrip("0")
        if len(mantissa) == 1:
            exponent = str(len(digits) - 1).translate(SUPERSCRIPTS)
            return f"{mantissa}×10{exponent}"
    text = format_number(number)
    return text.replace(".", ",") if lang in ("ru", "kk") else text


# ---------------------------------------------------------------------------- generation


@dataclass
class Summary:
    mappings: int = 0
    standards: int = 0
    clauses: int = 0
    limits: int = 0
    links: int = 0
    parameters_created: int = 0
    replaced: int = 0
    seconds: float = 0.0

    def line(self, seed):
        return (
            f"Synthetic data (seed {seed}): {self.mappings:,} mappings, {self.standards:,} "
            f"standards, {self.clauses:,} clauses, {self.limits:,} limits, {self.links:,} "
            f"clause links, {self.parameters_created} parameters created; replaced "
            f"{self.replaced:,} earlier synthetic mappings; {self.seconds:.2f} s."
        )


def synthetic_standards():
    return Standard.objects.filter(key__startswith=STANDARD_KEY_PREFIX)


def synthetic_mappings():
    return ClauseMapping.objects.filter(key__startswith=MAPPING_KEY_PREFIX)


LINK_FIELDS = ("kz_clauses", "cn_clauses", "reference_clauses")


def _pointing_models(model):
    """The models with a relation (foreign key, link table) pointing at `model`."""
    return {
        field.related_model
        for field in model._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete
    }


def clear():
    """Delete every synthetic mapping and standard (with its clauses and limits).

    Returns the number of synthetic mappings deleted. Rows that point at synthetic rows
    (clause links, limits, child clauses of other standards) are deleted or detached
    first, each with one query. The mappings and clauses themselves are then deleted with
    one DELETE each (_raw_delete, which Django's own collector uses for fast deletes):
    the collector would load every row and query each relation per batch of ids, which
    takes seconds at 20,000 mappings. Should a model gain a relation this function does
    not know, it falls back to the ordinary, cascading delete().
    """
    links = {getattr(ClauseMapping, field).through for field in LINK_FIELDS}
    handled = {Clause, ClauseMapping, Limit, *links}
    clauses = Clause.objects.filter(standard__key__startswith=STANDARD_KEY_PREFIX)
    mappings = synthetic_mappings()
    removed = mappings.count()
    if not (_pointing_models(ClauseMapping) | _pointing_models(Clause)) <= handled:
        mappings.delete()
        synthetic_standards().delete()
        return removed
    for through in links:
        through.objects.filter(clausemapping__in=mappings).delete()
        through.objects.filter(clause__in=clauses).delete()
    mappings._raw_delete(mappings.db)
    # Raw, like the clauses they belong to: no search text to refresh on a deleted clause.
    limits = Limit.objects.filter(clause__in=clauses)
    limits._raw_delete(limits.db)
    Clause.objects.filter(parent__in=clauses).update(parent=None)
    clauses._raw_delete(clauses.db)
    synthetic_standards().delete()
    return removed


def ensure_parameters():
    """The parameters synthetic limits use, by key; returns (by key, number created)."""
    parameters, created = {}, 0
    for key, fields in PARAMETERS.items():
        parameter, was_created = Parameter.objects.get_or_create(key=key, defaults=fields)
        parameters[key] = parameter
        created += was_created
    return parameters, created


def generate(mappings, seed=DEFAULT_SEED, *, chunk_size=CHUNK_SIZE, batch_size=BATCH_SIZE):
    """Replace the synthetic data with `mappings` new mappings generated from `seed`."""
    if not 1 <= mappings <= MAX_MAPPINGS:
        raise SyntheticDataError(
            f"The number of mappings must be between 1 and {MAX_MAPPINGS:,}, not {mappings:,}."
        )
    if not connection.features.can_return_rows_from_bulk_insert:
        raise SyntheticDataError(
            "The database must return ids from bulk inserts (PostgreSQL, SQLite 3.35 or newer)."
        )
    started = time.perf_counter()
    with transaction.atomic():
        summary = Summary(replaced=clear())
        parameters, summary.parameters_created = ensure_parameters()
        _Generator(random.Random(seed), parameters, seed, batch_size).run(
            mappings, chunk_size, summary
        )
    if connection.vendor == "postgresql":
        # Fresh planner statistics: without them, PostgreSQL plans the new tens of
        # thousands of rows as if the tables were still small (seq scans, hash joins).
        with connection.cursor() as cursor:
            for model in (Standard, Clause, Limit, ClauseMapping):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
            for field in ("kz_clauses", "cn_clauses", "reference_clauses"):
                through = getattr(ClauseMapping, field).through
                cursor.execute(f"ANALYZE {through._meta.db_table}")
    summary.seconds = time.perf_counter() - started
    return summary


class _Generator:
    def __init__(self, rng, parameters, seed, batch_size):
        self.rng = rng
        self.parameters = parameters
        self.seed = seed
        self.batch_size = batch_size
        streams = random.Random(rng.getrandbits(64))
        self.topics = _balanced(streams, [(topic, 1) for topic in ITEMS])
        self.groups = _balanced(streams, [(group, 1) for group in ClauseMapping.ProductGroup])
        self.alignments = _balanced(streams, ALIGNMENTS)
        self.statuses = _balanced(streams, STATUSES)
        self.confidences = _weighted(CONFIDENCES)
        self.standards = {}
        self.next_reference = {}
        self.pool = {}

    # -- standards

    def make_standards(self, mappings, summary):
        per_side = min(500, max(3, -(-mappings // 100)))
        rng = self.rng
        kinds = {side: _weighted(KINDS[side]) for side in (KZ, CN)}
        statuses = _weighted(STANDARD_STATUSES)
        source = f"Synthetic record generated by generate_synthetic (seed {self.seed})."
        objs = []
        for side in (KZ, CN):
            for number in range(1, per_side + 1):
                year = rng.randint(2012, 2030)
                adopted = date(year, rng.randint(1, 12), rng.randint(1, 28))
                if side == KZ:
                    code = f"SYN-KZ {number:04d}/{year}"
                    language = "kk" if rng.random() < KAZAKH_TITLE_RATE else "ru"
                else:
                    code = f"SYN-GB {number:04d}-{year}"
                    language = "zh"
                subject = rng.choice(SUBJECTS)
                original = subject[language]
                objs.append(
                    Standard(
                        key=f"{STANDARD_KEY_PREFIX}{side}-{number:04d}",
                        jurisdiction=side,
                        code=code,
                        title_en=f"{subject['en']} (synthetic)",
                        title_original=f"{code} «{original}»" if side == KZ else original,
                        title_language=language,
                        issuing_body=rng.choice(ISSUERS[side]),
                        kind=rng.choice(kinds[side]),
                        edition=str(year),
                        status=rng.choice(statuses),
                        adopted=adopted,
                        effective=adopted + timedelta(days=rng.randint(0, 540)),
                        binding_language=language,
                        product_scope=rng.choice(ProductScope.values),
                        source=source,
                    )
                )
        Standard.objects.bulk_create(objs, batch_size=self.batch_size)
        for obj in objs:
            self.standards.setdefault(obj.jurisdiction, []).append(obj)
            self.next_reference[obj.pk] = 0
        summary.standards = len(objs)

    def reference(self, standard):
        n = self.next_reference[standard.pk]
        self.next_reference[standard.pk] = n + 1
        section, item = divmod(n, 24)
        if standard.jurisdiction == CN:
            return f"{section + 3}.{item + 1}" if n % 4 else f"表{section + 1} 第{item + 1}项"
        if standard.title_language == "kk":
            return f"{section + 1}-тармақ, {item + 1}-тармақша"
        return f"п. {section + 1}.{item + 1}" if n % 3 else f"Прил. {section + 1}, п. {item + 1}"

    # -- clauses

    def new_clause(self, side, topic, item, level, group, species, limits):
        rng = self.rng
        standard = rng.choice(self.standards[side])
        language = standard.title_language
        product = PRODUCTS[group][species]
        text_en = item.texts["en"].format(*item.figures(level), p=product["en"])
        original = item.texts[language].format(*item.figures(level, language), p=product[language])
        if topic in TESTED_TOPICS and rng.random() < METHOD_RATE:
            method_en, method_original = rng.choice(METHODS[side])
            text_en += METHOD_SENTENCE["en"].format(m=method_en)
            original += METHOD_SENTENCE[language].format(m=method_original)
        reference = self.reference(standard)
        clause = Clause(
            standard=standard,
            reference=reference,
            heading=item.heading,
            text_original=original,
            original_language=language,
            text_en=text_en,
            product_scope=group if rng.random() < OWN_GROUP_RATE else ProductScope.BOTH,
            species=species,
            topic=topic,
            confidence=rng.choice(self.confidences),
            citation=f"{standard.code}, {reference}",
        )
        used = []
        values = iter(level)
        for position, spec in enumerate(item.limits):
            parameter = self.parameters[spec.parameter]
            value = Decimal(next(values))
            upper = Decimal(next(values)) if spec.kind == "range" else None
            limit = Limit(
                clause=clause,
                parameter=parameter,
                kind=spec.kind,
                value=value,
                upper_value=upper,
                unit=spec.unit,
                qualifier=product["en"].lower(),
                position=position,
            )
            if spec.plan:
                n, c, factor = spec.plan
                limit.plan_n, limit.plan_c = n, c
                if spec.kind == "maximum":
                    limit.plan_m = value
                    limit.plan_big_m = value * factor if factor else None
            limits.append(limit)
            if parameter not in used:
                used.append(parameter)
        # In the order Clause.build_search_text reads saved limits' parameters in.
        used.sort(key=lambda parameter: (parameter.name_en, parameter.pk))
        clause.search_text = clause.build_search_text(parameters=used)
        return clause

    def side_clauses(self, side, count, topic, item, level, group, species, new, limits):
        """1–2 clauses stating `item`: the first at `level`, a second (another document or
        edition of the same side) at any level. Now and then one another mapping cites."""
        chosen = []
        pool = self.pool.setdefault((side, group, item.title), deque(maxlen=REUSE_POOL))
        for index in range(count):
            if pool and self.rng.random() < REUSE_RATE:
                clause = self.rng.choice(pool)
                if clause not in chosen:
                    chosen.append(clause)
                    continue
            if index:
                level = self.rng.choice(item.levels)
            clause = self.new_clause(side, topic, item, level, group, species, limits)
            new.append(clause)
            pool.append(clause)
            chosen.append(clause)
        return chosen

    def levels(self, item, alignment):
        """Level indexes (kz, cn): the stricter side gets the stricter level."""
        rng, top = self.rng, len(item.levels) - 1
        if alignment == A.EQUIVALENT:
            kz = cn = rng.randint(0, top)
        elif alignment in (A.KZ_STRICTER, A.CN_STRICTER):
            lenient, strict = sorted(rng.sample(range(top + 1), 2))
            kz, cn = (strict, lenient) if alignment == A.KZ_STRICTER else (lenient, strict)
        else:
            kz, cn = rng.randint(0, top), rng.randint(0, top)
        return item.levels[kz], item.levels[cn]

    # -- mappings

    def mapping(self, number, new_clauses, limits):
        rng = self.rng
        topic = next(self.topics)
        group = next(self.groups)
        if topic == Topic.HEAT_TREATMENT:
            group = ClauseMapping.ProductGroup.HEAT_TREATED
        alignment = next(self.alignments)
        status = S.NOT_STARTED if alignment == A.NOT_ASSESSED else next(self.statuses)
        item = rng.choice(ITEMS[topic])
        species = rng.choice(SPECIES)
        kz_level, cn_level = self.levels(item, alignment)
        if alignment == A.DIFFERENT and len(ITEMS[topic]) > 1:
            cn_item = rng.choice(ITEMS[topic])
            cn_level = rng.choice(cn_item.levels)
        else:
            cn_item = item
        counts = {
            side: 0 if alignment == gap else (1 if rng.random() < ONE_CLAUSE_RATE else 2)
            for side, gap in ((KZ, A.CN_ONLY), (CN, A.KZ_ONLY))
        }
        args = (topic, item, kz_level, group, species, new_clauses, limits)
        kz = self.side_clauses(KZ, counts[KZ], *args)
        args = (topic, cn_item, cn_level, group, species, new_clauses, limits)
        cn = self.side_clauses(CN, counts[CN], *args)
        product = PRODUCTS[group][species]["en"]
        figures = {"kz": item.summary(kz_level), "cn": cn_item.summary(cn_level)}
        active = status in (S.TECHNICAL_REVIEW, S.NEGOTIATION, S.AGREED)
        mapping = ClauseMapping(
            key=f"{MAPPING_KEY_PREFIX}{number:06d}",
            title=f"{item.title}: {product[0].lower()}{product[1:]}",
            product_group=group,
            topic=topic,
            alignment=alignment,
            status=status,
            rationale=RATIONALES[alignment].format(**figures),
            proposed_action=ACTIONS[status],
            notes=f"Synthetic record (seed {self.seed}).",
            responsible_side=rng.choice(("kz", "cn", "joint")) if active else "",
            target_date=(
                date(rng.randint(2026, 2028), rng.randint(1, 12), 1)
                if status in (S.TECHNICAL_REVIEW, S.NEGOTIATION)
                else None
            ),
            confidence=rng.choice(self.confidences),
        )
        return mapping, kz, cn

    def run(self, mappings, chunk_size, summary):
        self.make_standards(mappings, summary)
        links = {side: getattr(ClauseMapping, f"{side}_clauses").through for side in (KZ, CN)}
        for start in range(1, mappings + 1, chunk_size):
            new_clauses, limits, rows = [], [], []
            for number in range(start, min(start + chunk_size, mappings + 1)):
                rows.append(self.mapping(number, new_clauses, limits))
            Clause.objects.bulk_create(new_clauses, batch_size=self.batch_size)
            Limit.objects.bulk_create(limits, batch_size=self.batch_size)
            ClauseMapping.objects.bulk_create([row[0] for row in rows], batch_size=self.batch_size)
            for side, index in ((KZ, 1), (CN, 2)):
                through = links[side]
                objs = [
                    through(clausemapping_id=row[0].pk, clause_id=clause.pk)
                    for row in rows
                    for clause in row[index]
                ]
                through.objects.bulk_create(objs, batch_size=self.batch_size)
                summary.links += len(objs)
            summary.mappings += len(rows)
            summary.clauses += len(new_clauses)
            summary.limits += len(limits)
