"""Synthetic comparison data for load tests and benchmarks.

`generate(n, seed)` creates n clause mappings (keys SYN-000001 …) together with the
synthetic standards (keys syn-kz-0001 …, syn-cn-0001 …, codes "SYN-KZ 0001/2024",
"SYN-GB 0001-2024"), clauses and typed limits they cite. Texts are composed from small
per-topic vocabularies of real domain phrases in Russian or Kazakh (Kazakh side),
Chinese (Chinese side) and English (working translation), with figures that follow the
mapping's alignment: on a "China stricter" mapping the Chinese lead maximum is lower.

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

STANDARD_KEY_PREFIX = "syn-"
MAPPING_KEY_PREFIX = "SYN-"
MAX_MAPPINGS = 200_000
DEFAULT_SEED = 1
BATCH_SIZE = 1000
CHUNK_SIZE = 5000  # mappings generated and written per round
REUSE_RATE = 0.08  # share of cited clauses that another mapping already cites
REUSE_POOL = 64  # recent clauses per (side, product group, item) that may be cited again

KZ, CN = "kz", "cn"

# The parameters synthetic limits use; created by key when the reference data is absent.
PARAMETERS = {
    "lead": ("Lead (Pb)", "Свинец", "铅", "mg/kg"),
    "cadmium": ("Cadmium (Cd)", "Кадмий", "镉", "mg/kg"),
    "cs-137": ("Caesium-137 (Cs-137)", "Цезий-137", "铯-137", "Bq/kg"),
    "benzo-a-pyrene": ("Benzo[a]pyrene", "Бенз(а)пирен", "苯并[a]芘", "µg/kg"),
    "salmonella": ("Salmonella", "Бактерии рода Salmonella (сальмонеллы)", "沙门氏菌", "g"),
    "listeria-monocytogenes": (
        "Listeria monocytogenes",
        "Listeria monocytogenes",
        "单核细胞增生李斯特氏菌",
        "g",
    ),
    "tvc": (
        "Total viable count (aerobic mesophilic count)",
        "КМАФАнМ (количество мезофильных аэробных и факультативно-анаэробных микроорганизмов)",
        "菌落总数",
        "CFU/g",
    ),
    "product-temperature": (
        "Product temperature (in the muscle thickness)",
        "Температура продукта (в толще мышц)",
        "产品温度（肌肉深层）",
        "°C",
    ),
    "core-temperature": (
        "Core temperature during heat treatment",
        "Температура в центре продукта при термической обработке",
        "热处理中心温度",
        "°C",
    ),
    "holding-time": ("Holding time", "Время выдержки", "保持时间", "min"),
}


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


def _item(title, heading, en, ru, kk, zh, short, levels, *limits):
    levels = tuple(level if isinstance(level, tuple) else (level,) for level in levels)
    texts = {"en": en, "ru": ru, "kk": kk, "zh": zh}
    return Item(title, heading, texts, short, levels, limits)


ITEMS = {
    Topic.CONTAMINANTS: (
        _item(
            "Lead (Pb)",
            "Lead in meat",
            "{p}: lead (Pb) not more than {0} mg/kg.",
            "{p}: свинец — не более {0} мг/кг.",
            "{p}: қорғасын — {0} мг/кг-нан артық емес.",
            "{p}中铅（以Pb计）限量为{0} mg/kg。",
            "≤ {0} mg/kg",
            ("0.5", "0.3", "0.2", "0.1"),
            LimitSpec("lead", "maximum", "mg/kg"),
        ),
        _item(
            "Cadmium (Cd)",
            "Cadmium in meat",
            "{p}: cadmium (Cd) not more than {0} mg/kg.",
            "{p}: кадмий — не более {0} мг/кг.",
            "{p}: кадмий — {0} мг/кг-нан артық емес.",
            "{p}中镉（以Cd计）限量为{0} mg/kg。",
            "≤ {0} mg/kg",
            ("0.1", "0.05"),
            LimitSpec("cadmium", "maximum", "mg/kg"),
        ),
        _item(
            "Caesium-137",
            "Radionuclides: caesium-137",
            "{p}: specific activity of caesium-137 not more than {0} Bq/kg.",
            "{p}: удельная активность цезия-137 — не более {0} Бк/кг.",
            "{p}: цезий-137 үлестік белсенділігі — {0} Бк/кг-нан артық емес.",
            "{p}中铯-137放射性比活度不得超过{0} Bq/kg。",
            "≤ {0} Bq/kg",
            ("200", "160", "100"),
            LimitSpec("cs-137", "maximum", "Bq/kg"),
        ),
        _item(
            "Benzo[a]pyrene",
            "Benzo[a]pyrene in smoked and cooked products",
            "{p}: benzo[a]pyrene not more than {0} µg/kg.",
            "{p}: бенз(а)пирен — не более {0} мкг/кг.",
            "{p}: бенз(а)пирен — {0} мкг/кг-нан артық емес.",
            "{p}中苯并[a]芘限量为{0} μg/kg。",
            "≤ {0} µg/kg",
            ("5", "2", "1"),
            LimitSpec("benzo-a-pyrene", "maximum", "µg/kg"),
        ),
    ),
    Topic.MICROBIOLOGY: (
        _item(
            "Salmonella",
            "Pathogens: Salmonella",
            "{p}: Salmonella not permitted in {0} g (n=5, c=0).",
            "{p}: бактерии рода Salmonella (сальмонеллы) не допускаются в {0} г.",
            "{p}: Salmonella (сальмонеллалар) бактерияларына {0} г-да жол берілмейді.",
            "{p}中沙门氏菌：n=5，c=0，每{0} g不得检出。",
            "not detected in {0} g",
            ("10", "25"),
            LimitSpec("salmonella", "absent", "g", (5, 0, 0)),
        ),
        _item(
            "Listeria monocytogenes",
            "Pathogens: Listeria monocytogenes",
            "{p}: Listeria monocytogenes not permitted in {0} g.",
            "{p}: Listeria monocytogenes не допускаются в {0} г.",
            "{p}: Listeria monocytogenes бактерияларына {0} г-да жол берілмейді.",
            "{p}中单核细胞增生李斯特氏菌：每{0} g不得检出。",
            "not detected in {0} g",
            ("10", "25"),
            LimitSpec("listeria-monocytogenes", "absent", "g"),
        ),
        _item(
            "Total viable count",
            "Total viable count (aerobic mesophilic count)",
            "{p}: total viable count not more than {0} CFU/g (n=5, c=2).",
            "{p}: КМАФАнМ — не более {0} КОЕ/г.",
            "{p}: КМАФАнМ — {0} КТБ/г-нан артық емес.",
            "{p}中菌落总数：n=5，c=2，m={0} CFU/g。",
            "≤ {0} CFU/g",
            ("1000000", "100000", "10000"),
            LimitSpec("tvc", "maximum", "CFU/g", (5, 2, 10)),
        ),
    ),
    Topic.RESIDUES: (
        _item(
            "Tetracyclines",
            "Veterinary drug residues: tetracyclines",
            "{p}: residues of tetracyclines not more than {0} µg/kg.",
            "{p}: остаточные количества тетрациклинов — не более {0} мкг/кг.",
            "{p}: тетрациклиндердің қалдық мөлшері — {0} мкг/кг-нан артық емес.",
            "{p}中四环素类药物残留限量为{0} μg/kg。",
            "≤ {0} µg/kg",
            ("200", "100", "10"),
        ),
        _item(
            "Ractopamine",
            "Beta-agonists: ractopamine",
            "{p}: ractopamine not permitted (limit of detection {0} µg/kg).",
            "{p}: рактопамин не допускается (предел обнаружения {0} мкг/кг).",
            "{p}: рактопаминге жол берілмейді (анықтау шегі {0} мкг/кг).",
            "{p}中莱克多巴胺不得检出（检出限{0} μg/kg）。",
            "not detected (LOD {0} µg/kg)",
            ("1", "0.5"),
        ),
    ),
    Topic.ADDITIVES: (
        _item(
            "Sodium nitrite",
            "Food additives: nitrite",
            "{p}: residual sodium nitrite not more than {0} mg/kg.",
            "{p}: остаточное содержание нитрита натрия — не более {0} мг/кг.",
            "{p}: натрий нитритінің қалдық мөлшері — {0} мг/кг-нан артық емес.",
            "{p}中亚硝酸盐残留量（以亚硝酸钠计）≤{0} mg/kg。",
            "≤ {0} mg/kg",
            ("50", "30"),
        ),
        _item(
            "Phosphates",
            "Food additives: phosphates",
            "{p}: added phosphates (as P₂O₅) not more than {0} g/kg.",
            "{p}: фосфаты (в пересчёте на P₂O₅) — не более {0} г/кг.",
            "{p}: фосфаттар (P₂O₅ есебімен) — {0} г/кг-нан артық емес.",
            "{p}中磷酸盐最大使用量为{0} g/kg（以PO₄³⁻计）。",
            "≤ {0} g/kg",
            ("5", "3"),
        ),
    ),
    Topic.PHYSICO_CHEMICAL: (
        _item(
            "Volatile basic nitrogen",
            "Freshness: total volatile basic nitrogen",
            "{p}: total volatile basic nitrogen not more than {0} mg/100 g.",
            "{p}: летучие основания (азот) — не более {0} мг/100 г.",
            "{p}: ұшпа негіздер азоты — 100 г-ға {0} мг-нан артық емес.",
            "{p}挥发性盐基氮≤{0} mg/100 g。",
            "≤ {0} mg/100 g",
            ("20", "15"),
        ),
        _item(
            "Moisture",
            "Moisture content",
            "{p}: moisture not more than {0} %.",
            "{p}: массовая доля влаги — не более {0} %.",
            "{p}: ылғалдың массалық үлесі — {0} %-дан артық емес.",
            "{p}水分≤{0}%。",
            "≤ {0} %",
            ("77", "76"),
        ),
    ),
    Topic.COLD_CHAIN: (
        _item(
            "Temperature in the muscle thickness",
            "Temperature in the thickness of the muscle",
            "{p}: core temperature (in the muscle thickness) from {0} to {1} °C.",
            "{p}: температура в толще мышц — от {0} до {1} °C.",
            "{p}: бұлшықет қалыңдығындағы температура — {0} °C-тан {1} °C-қа дейін.",
            "{p}中心温度应保持在{0} ℃～{1} ℃。",
            "{0} … {1} °C",
            (("-1", "7"), ("-1", "4"), ("0", "4"), ("-1.5", "2")),
            LimitSpec("product-temperature", "range", "°C"),
        ),
        _item(
            "Storage temperature",
            "Storage of chilled meat",
            "{p}: product temperature not above {0} °C throughout storage.",
            "{p}: температура продукта при хранении — не выше {0} °C.",
            "{p}: сақтау кезіндегі өнім температурасы — {0} °C-тан жоғары емес.",
            "{p}贮存期间产品中心温度不高于{0} ℃。",
            "≤ {0} °C",
            ("7", "4", "2"),
            LimitSpec("product-temperature", "maximum", "°C"),
        ),
    ),
    Topic.HEAT_TREATMENT: (
        _item(
            "Core temperature and holding time",
            "Heat treatment: core temperature and holding time",
            "{p}: core temperature at least {0} °C held for at least {1} min.",
            "{p}: температура в толще продукта — не ниже {0} °C с выдержкой не менее {1} мин.",
            "{p}: өнім қалыңдығындағы температура — кемінде {0} °C, ұстау уақыты кемінде {1} мин.",
            "{p}热加工时中心温度应不低于{0} ℃，保持时间不少于{1} min。",
            "≥ {0} °C for ≥ {1} min",
            (("70", "2"), ("72", "2"), ("75", "5"), ("80", "10")),
            LimitSpec("core-temperature", "minimum", "°C"),
            LimitSpec("holding-time", "minimum", "min"),
        ),
        _item(
            "Core temperature",
            "Heat treatment: core temperature",
            "{p}: core temperature not below {0} °C at the end of heat treatment.",
            "{p}: температура в центре продукта по окончании термической обработки — "
            "не ниже {0} °C.",
            "{p}: термиялық өңдеу соңында өнім ортасындағы температура — кемінде {0} °C.",
            "{p}热处理结束时中心温度不低于{0} ℃。",
            "≥ {0} °C",
            ("68", "70", "72"),
            LimitSpec("core-temperature", "minimum", "°C"),
        ),
    ),
    Topic.ANIMAL_HEALTH: (
        _item(
            "Freedom from foot-and-mouth disease",
            "Animal health: foot-and-mouth disease",
            "{p} shall come from a country or zone free from foot-and-mouth disease "
            "for at least {0} months.",
            "{p}: страна (зона) происхождения должна быть благополучна по ящуру "
            "не менее {0} месяцев.",
            "{p}: шығарылған ел (аймақ) кемінде {0} ай бойы аусылдан саламатты болуы тиіс.",
            "{p}应来自至少{0}个月内无口蹄疫的国家或地区。",
            "free for ≥ {0} months",
            ("12", "24"),
        ),
        _item(
            "Ante-mortem inspection",
            "Ante-mortem and post-mortem inspection",
            "{p}: animals are slaughtered within {0} days of the ante-mortem clinical inspection.",
            "{p}: убой животных — не позднее {0} суток после предубойного клинического осмотра.",
            "{p}: мал сойыс алдындағы клиникалық тексеруден кейін {0} тәуліктен "
            "кешіктірілмей сойылады.",
            "{p}：动物应在宰前临床检查后{0}日内屠宰。",
            "slaughter ≤ {0} days after inspection",
            ("3", "1"),
        ),
    ),
    Topic.CERTIFICATION: (
        _item(
            "Veterinary certificate",
            "Veterinary certificate for each consignment",
            "{p}: each consignment travels with a veterinary certificate issued not more "
            "than {0} days before shipment.",
            "{p}: каждая партия сопровождается ветеринарным сертификатом, выданным не ранее "
            "чем за {0} дней до отгрузки.",
            "{p}: әрбір партия тиеуге дейін {0} күннен ерте берілмеген ветеринариялық "
            "сертификатпен бірге жүреді.",
            "{p}每批货物应随附装运前{0}日内签发的官方兽医卫生证书。",
            "issued ≤ {0} days before shipment",
            ("10", "5"),
        ),
    ),
    Topic.ESTABLISHMENT_REGISTRATION: (
        _item(
            "Registration of exporting establishments",
            "Register of approved establishments",
            "{p} may come only from establishments on the competent authority's register; "
            "a registration is valid for {0} years.",
            "{p}: допускается продукция только предприятий, включённых в реестр "
            "уполномоченного органа; срок действия регистрации — {0} лет.",
            "{p}: тек уәкілетті органның тізіліміне енгізілген кәсіпорындардың өніміне "
            "жол беріледі; тіркеу мерзімі — {0} жыл.",
            "{p}生产企业应经海关总署注册，注册有效期为{0}年。",
            "registration valid {0} years",
            ("10", "5"),
        ),
    ),
    Topic.LABELLING: (
        _item(
            "Label particulars",
            "Labelling of consumer packages",
            "{p}: the label states the name, production date, storage conditions and "
            "shelf life in characters at least {0} mm high.",
            "{p}: маркировка содержит наименование, дату изготовления, условия хранения и "
            "срок годности; высота шрифта — не менее {0} мм.",
            "{p}: таңбалауда атауы, дайындалған күні, сақтау шарттары және жарамдылық "
            "мерзімі көрсетіледі; қаріп биіктігі — кемінде {0} мм.",
            "{p}标签应标示产品名称、生产日期、贮存条件和保质期，字符高度不得小于{0} mm。",
            "characters ≥ {0} mm",
            ("1.2", "1.8", "2"),
        ),
    ),
    Topic.PACKAGING: (
        _item(
            "Vacuum packaging",
            "Packaging materials and vacuum packs",
            "{p}: packaging in contact with meat meets food-contact requirements; in "
            "vacuum packs the shelf life is at most {0} days.",
            "{p}: упаковка, контактирующая с мясом, соответствует требованиям к материалам, "
            "контактирующим с пищевой продукцией; срок годности в вакуумной упаковке — "
            "не более {0} суток.",
            "{p}: етпен жанасатын қаптама тағаммен жанасатын материалдарға қойылатын "
            "талаптарға сәйкес келеді; вакуумдық қаптамада жарамдылық мерзімі — {0} "
            "тәуліктен артық емес.",
            "{p}直接接触的包装材料应符合食品接触材料标准；真空包装保质期不超过{0}天。",
            "shelf life ≤ {0} days",
            ("30", "21", "14"),
        ),
    ),
    Topic.TRANSPORT: (
        _item(
            "Temperature during transport",
            "Refrigerated transport",
            "{p}: product temperature during transport not above {0} °C.",
            "{p}: температура продукта при перевозке — не выше {0} °C.",
            "{p}: тасымалдау кезіндегі өнім температурасы — {0} °C-тан жоғары емес.",
            "{p}运输过程中产品温度不高于{0} ℃。",
            "≤ {0} °C",
            ("7", "4", "2"),
            LimitSpec("product-temperature", "maximum", "°C"),
        ),
        _item(
            "Sealed vehicles",
            "Sealing of vehicles and containers",
            "{p}: vehicles are sealed by the official veterinarian; transit takes at most "
            "{0} hours.",
            "{p}: транспортное средство пломбируется официальным ветеринарным врачом; "
            "время в пути — не более {0} часов.",
            "{p}: көлік құралын ресми ветеринариялық дәрігер пломбалайды; жолдағы уақыт — "
            "{0} сағаттан артық емес.",
            "{p}运输工具应由官方兽医施封，运输时间不超过{0}小时。",
            "transit ≤ {0} h",
            ("96", "72", "48"),
        ),
    ),
    Topic.TRACEABILITY: (
        _item(
            "Batch traceability",
            "Traceability to the slaughterhouse",
            "{p}: every batch carries a lot number traceable to the slaughterhouse; "
            "records are kept for at least {0} years.",
            "{p}: каждой партии присваивается номер, позволяющий проследить её до "
            "боенского предприятия; записи хранятся не менее {0} лет.",
            "{p}: әрбір партияға сою кәсіпорнына дейін қадағалауға мүмкіндік беретін нөмір "
            "беріледі; жазбалар кемінде {0} жыл сақталады.",
            "{p}每批产品应有可追溯至屠宰企业的批号，记录保存期限不少于{0}年。",
            "records kept ≥ {0} years",
            ("5", "6"),
        ),
    ),
    Topic.INSPECTION: (
        _item(
            "Border inspection",
            "Inspection at the border checkpoint",
            "{p}: consignments are inspected at the border checkpoint; at least {0} % of "
            "packages are opened.",
            "{p}: партии досматриваются в пункте пропуска; вскрытию подлежит не менее "
            "{0} % грузовых мест.",
            "{p}: партиялар өткізу пунктінде тексеріледі; жүк орындарының кемінде {0} %-ы ашылады.",
            "{p}在口岸实施查验，开箱查验比例不低于{0}%。",
            "≥ {0} % of packages opened",
            ("1", "3", "5"),
        ),
    ),
}

# Product names by product group and species; "" is meat of every slaughter animal.
PRODUCTS = {
    "chilled": {
        "": (
            "Chilled meat of slaughter animals",
            "Охлаждённое мясо убойных животных",
            "Сойылатын малдың салқындатылған еті",
            "冷鲜畜禽肉",
        ),
        "bovine": ("Chilled beef", "Говядина охлаждённая", "Салқындатылған сиыр еті", "冷鲜牛肉"),
        "ovine": ("Chilled mutton", "Баранина охлаждённая", "Салқындатылған қой еті", "冷鲜羊肉"),
        "porcine": ("Chilled pork", "Свинина охлаждённая", "Салқындатылған шошқа еті", "冷鲜猪肉"),
        "poultry": (
            "Chilled poultry meat",
            "Мясо птицы охлаждённое",
            "Салқындатылған құс еті",
            "冷鲜禽肉",
        ),
        "equine": (
            "Chilled horse meat",
            "Конина охлаждённая",
            "Салқындатылған жылқы еті",
            "冷鲜马肉",
        ),
    },
    "heat_treated": {
        "": (
            "Heat-treated meat products",
            "Мясная продукция, прошедшая термическую обработку",
            "Термиялық өңделген ет өнімдері",
            "熟肉制品",
        ),
        "bovine": (
            "Cooked beef products",
            "Термически обработанная продукция из говядины",
            "Термиялық өңделген сиыр еті өнімдері",
            "熟牛肉制品",
        ),
        "ovine": (
            "Cooked mutton products",
            "Термически обработанная продукция из баранины",
            "Термиялық өңделген қой еті өнімдері",
            "熟羊肉制品",
        ),
        "porcine": (
            "Cooked pork products",
            "Термически обработанная продукция из свинины",
            "Термиялық өңделген шошқа еті өнімдері",
            "熟猪肉制品",
        ),
        "poultry": (
            "Cooked poultry products",
            "Термически обработанная продукция из мяса птицы",
            "Термиялық өңделген құс еті өнімдері",
            "熟禽肉制品",
        ),
        "equine": (
            "Cooked horse-meat products",
            "Термически обработанная продукция из конины",
            "Термиялық өңделген жылқы еті өнімдері",
            "熟马肉制品",
        ),
    },
}
LANGS = ("en", "ru", "kk", "zh")
SPECIES = ("", "", "", "bovine", "ovine", "porcine", "poultry", "equine")

# A second sentence naming the test method, added to some clauses: (en, original).
METHODS = {
    KZ: (
        ("GOST 31904-2012", "ГОСТ 31904-2012"),
        ("GOST 7269-2015", "ГОСТ 7269-2015"),
        ("GOST 26929-94", "ГОСТ 26929-94"),
        ("GOST 31659-2012", "ГОСТ 31659-2012"),
        ("GOST 10444.15-94", "ГОСТ 10444.15-94"),
    ),
    CN: (
        ("GB 4789.2-2022", "GB 4789.2-2022"),
        ("GB 4789.4-2024", "GB 4789.4-2024"),
        ("GB 5009.12-2023", "GB 5009.12-2023"),
        ("GB 5009.228-2016", "GB 5009.228-2016"),
        ("GB/T 9959.2-2008", "GB/T 9959.2-2008"),
    ),
}
TESTED_TOPICS = {
    Topic.MICROBIOLOGY,
    Topic.CONTAMINANTS,
    Topic.RESIDUES,
    Topic.ADDITIVES,
    Topic.PHYSICO_CHEMICAL,
}
METHOD_SENTENCE = {
    "en": " Sampling and testing per {m}.",
    "ru": " Отбор проб и испытания — по {m}.",
    "kk": " Сынама алу және сынау — {m} бойынша.",
    "zh": "检验方法按{m}执行。",
}

# Subjects of synthetic documents: (English, Russian, Kazakh, Chinese).
SUBJECTS = (
    (
        "Safety of meat and meat products",
        "О безопасности мяса и мясной продукции",
        "Ет және ет өнімдерінің қауіпсіздігі туралы",
        "食品安全国家标准 鲜（冻）畜、禽产品",
    ),
    (
        "Veterinary and sanitary requirements for goods under veterinary control",
        "Ветеринарно-санитарные требования к товарам, подлежащим ветеринарному контролю",
        "Ветеринариялық бақылауға жататын тауарларға ветеринариялық-санитариялық талаптар",
        "进口肉类检验检疫要求",
    ),
    (
        "Microbiological criteria for meat",
        "Микробиологические нормативы безопасности мяса",
        "Ет қауіпсіздігінің микробиологиялық нормативтері",
        "食品安全国家标准 预包装食品中致病菌限量",
    ),
    (
        "Maximum levels of contaminants in food",
        "Допустимые уровни содержания контаминантов в пищевой продукции",
        "Тамақ өнімдеріндегі ластағыштардың рұқсат етілген деңгейлері",
        "食品安全国家标准 食品中污染物限量",
    ),
    (
        "Hygiene of meat processing",
        "Гигиенические требования к переработке мяса",
        "Етті өңдеуге қойылатын гигиеналық талаптар",
        "食品安全国家标准 熟肉制品",
    ),
    (
        "Labelling of food products",
        "Пищевая продукция в части её маркировки",
        "Тамақ өнімдерін таңбалау бөлігінде",
        "食品安全国家标准 预包装食品标签通则",
    ),
    (
        "Cold chain for chilled meat",
        "Требования к холодильной цепи охлаждённого мяса",
        "Салқындатылған етке арналған суық тізбек талаптары",
        "冷鲜肉冷链物流技术规范",
    ),
)
ISSUERS = {
    KZ: (
        "Eurasian Economic Commission",
        "Ministry of Agriculture of the Republic of Kazakhstan",
        "Ministry of Health of the Republic of Kazakhstan",
        "Committee of Technical Regulation and Metrology",
    ),
    CN: (
        "National Health Commission; State Administration for Market Regulation",
        "General Administration of Customs of China",
        "Ministry of Agriculture and Rural Affairs",
    ),
}
KINDS = {
    KZ: (
        (Standard.Kind.TECHNICAL_REGULATION, 3),
        (Standard.Kind.INTERSTATE_STANDARD, 3),
        (Standard.Kind.VETERINARY_REQUIREMENTS, 2),
        (Standard.Kind.SANITARY_REQUIREMENTS, 1),
        (Standard.Kind.DECREE, 1),
    ),
    CN: (
        (Standard.Kind.NATIONAL_STANDARD, 6),
        (Standard.Kind.DECREE, 2),
        (Standard.Kind.VETERINARY_REQUIREMENTS, 1),
    ),
}
STANDARD_STATUSES = (
    (Standard.Status.IN_FORCE, 12),
    (Standard.Status.ISSUED, 2),
    (Standard.Status.SUPERSEDED, 2),
    (Standard.Status.DRAFT, 1),
    (Standard.Status.UNVERIFIED, 1),
    (Standard.Status.REPEALED, 1),
)

A = ClauseMapping.Alignment
S = ClauseMapping.Status
# Blocks of 40 and 20: about 15 % gaps, and every value in every block.
ALIGNMENTS = (
    (A.EQUIVALENT, 10),
    (A.KZ_STRICTER, 6),
    (A.CN_STRICTER, 7),
    (A.DIFFERENT, 6),
    (A.NOT_ASSESSED, 5),
    (A.KZ_ONLY, 3),
    (A.CN_ONLY, 3),
)
STATUSES = (
    (S.NOT_STARTED, 7),
    (S.TECHNICAL_REVIEW, 5),
    (S.NEGOTIATION, 3),
    (S.AGREED, 2),
    (S.HARMONIZED, 1),
    (S.NO_ACTION, 2),
)
CONFIDENCES = ((Confidence.HIGH, 5), (Confidence.MEDIUM, 3), (Confidence.LOW, 2))

RATIONALES = {
    A.EQUIVALENT: "Both sides set the same requirement: {kz}.",
    A.KZ_STRICTER: "Kazakhstan requires {kz}, China {cn}: the Kazakh requirement is stricter.",
    A.CN_STRICTER: "China requires {cn}, Kazakhstan {kz}: the Chinese requirement is stricter.",
    A.DIFFERENT: "The sides regulate this point differently (Kazakhstan: {kz}; China: {cn}).",
    A.NOT_ASSESSED: "Not yet assessed (Kazakhstan: {kz}; China: {cn}).",
    A.KZ_ONLY: "Only Kazakhstan regulates this point ({kz}); no Chinese clause was found.",
    A.CN_ONLY: "Only China regulates this point ({cn}); no Kazakh clause was found.",
}
ACTIONS = {
    S.NOT_STARTED: "",
    S.TECHNICAL_REVIEW: "Compare test methods and sampling plans before the next expert meeting.",
    S.NEGOTIATION: "Propose that the stricter figure be accepted for exported consignments.",
    S.AGREED: "Record the agreed figure in the protocol annex.",
    S.HARMONIZED: "None: the requirement is harmonized in the protocol.",
    S.NO_ACTION: "",
}


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
    if number >= 10000 and number == number.to_integral_value():
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
    for key, (name_en, name_ru, name_zh, unit) in PARAMETERS.items():
        parameter, was_created = Parameter.objects.get_or_create(
            key=key,
            defaults={"name_en": name_en, "name_ru": name_ru, "name_zh": name_zh, "unit": unit},
        )
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
                    language = "kk" if rng.random() < 0.25 else "ru"
                else:
                    code = f"SYN-GB {number:04d}-{year}"
                    language = "zh"
                subject = rng.choice(SUBJECTS)
                original = subject[LANGS.index(language)]
                objs.append(
                    Standard(
                        key=f"{STANDARD_KEY_PREFIX}{side}-{number:04d}",
                        jurisdiction=side,
                        code=code,
                        title_en=f"{subject[0]} (synthetic)",
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
        text_en = item.texts["en"].format(*item.figures(level), p=product[0])
        original = item.texts[language].format(
            *item.figures(level, language), p=product[LANGS.index(language)]
        )
        if topic in TESTED_TOPICS and rng.random() < 0.5:
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
            product_scope=group if rng.random() < 0.85 else ProductScope.BOTH,
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
                qualifier=product[0].lower(),
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
            side: 0 if alignment == gap else (1 if rng.random() < 0.7 else 2)
            for side, gap in ((KZ, A.CN_ONLY), (CN, A.KZ_ONLY))
        }
        args = (topic, item, kz_level, group, species, new_clauses, limits)
        kz = self.side_clauses(KZ, counts[KZ], *args)
        args = (topic, cn_item, cn_level, group, species, new_clauses, limits)
        cn = self.side_clauses(CN, counts[CN], *args)
        product = PRODUCTS[group][species][0]
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
