"""The loader of the sourced reference dataset: content, idempotency, atomic failure."""

import shutil
from decimal import Decimal

import pytest
import yaml
from django.core.management import CommandError, call_command

from standards.models import Clause, ClauseMapping, Limit, Parameter, Standard
from standards.reference import DATA_DIR

pytestmark = pytest.mark.django_db

MODELS = [Parameter, Standard, Clause, Limit, ClauseMapping]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def load(**options):
    call_command("load_reference_data", stdout=_Sink(), **options)


class _Sink:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "reference"
    shutil.copytree(DATA_DIR, target)
    return target


def edit_yaml(path, change):
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(content)
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")


def limits_of(mapping, side):
    clauses = getattr(mapping, f"{side}_clauses").all()
    return list(Limit.objects.filter(clause__in=clauses).select_related("parameter"))


def test_loads_every_document_and_every_requirement_row():
    load()
    in_register = Standard.objects.filter(in_sheet=True)
    # documents.csv has 48 rows; "GB 7718-2011 / GB 7718-2025" is two editions.
    assert in_register.count() == 49
    assert ClauseMapping.objects.count() == 65
    assert sorted(ClauseMapping.objects.values_list("sheet_row", flat=True)) == list(range(1, 66))
    assert set(ClauseMapping.objects.values_list("key", flat=True)) == {
        f"KZCN-{n:03d}" for n in range(1, 66)
    }
    for mapping in ClauseMapping.objects.all():
        assert mapping.status or mapping.alignment
    # Every clause says where it comes from and how sure that is.
    assert not Clause.objects.filter(confidence="").exists()
    assert not Clause.objects.filter(text_en="").exists()


def test_lead_in_chilled_meat_is_china_stricter_with_exact_figures():
    load()
    lead = ClauseMapping.objects.get(key="KZCN-001")
    assert lead.alignment == ClauseMapping.Alignment.CN_STRICTER
    assert lead.status == ClauseMapping.Status.NOT_STARTED
    assert lead.confidence == "high"
    kz = [lim for lim in limits_of(lead, "kz") if lim.parameter.key == "lead"]
    cn = [lim for lim in limits_of(lead, "cn") if lim.parameter.key == "lead"]
    assert [(lim.kind, lim.value, lim.unit) for lim in kz] == [("maximum", Decimal("0.5"), "mg/kg")]
    assert ("maximum", Decimal("0.2"), "mg/kg") in [(lim.kind, lim.value, lim.unit) for lim in cn]
    assert lead.kz_clauses.get().standard.jurisdiction == "kz"
    assert lead.cn_clauses.get().standard.code == "GB 2762-2025"


def test_an_empty_side_in_the_sheet_is_a_gap_not_an_invented_requirement():
    load()
    caesium = ClauseMapping.objects.get(key="KZCN-006")  # Cs-137: Kazakh limit only
    assert caesium.gap_side == "cn"
    assert caesium.alignment == ClauseMapping.Alignment.KZ_ONLY
    assert [
        (lim.kind, lim.value, lim.unit)
        for lim in limits_of(caesium, "kz")
        if lim.parameter.key == "cs-137"
    ] == [("maximum", Decimal("200"), "Bq/kg")]
    chromium = ClauseMapping.objects.get(key="KZCN-005")  # Chinese limit only
    assert chromium.gap_side == "kz"
    canning = ClauseMapping.objects.get(key="KZCN-039")  # no requirement on either side
    assert canning.gap_side == "both"
    assert canning.reference_clauses.exists()


def test_benzo_a_pyrene_in_smoked_meat_is_kazakhstan_stricter():
    load()
    bap = ClauseMapping.objects.get(key="KZCN-052")
    assert bap.alignment == ClauseMapping.Alignment.KZ_STRICTER
    assert bap.product_group == "heat_treated"
    kz = limits_of(bap, "kz")
    cn = limits_of(bap, "cn")
    assert any(lim.value == Decimal("0.001") and lim.unit == "mg/kg" for lim in kz) or any(
        lim.value == Decimal("1") and lim.unit == "µg/kg" for lim in kz
    )
    assert any(lim.value == Decimal("5.0") and lim.unit == "µg/kg" for lim in cn)


def test_sampling_plans_and_confidence_are_kept_as_given():
    load()
    salmonella = ClauseMapping.objects.get(key="KZCN-045")
    plan = [lim for lim in limits_of(salmonella, "cn") if lim.plan_n is not None]
    assert [(lim.kind, lim.plan_n, lim.plan_c, lim.value, lim.unit) for lim in plan] == [
        ("absent", 5, 0, Decimal("25"), "g")
    ]
    tetracyclines = ClauseMapping.objects.get(key="KZCN-011")
    assert tetracyclines.confidence == "low"


def test_original_language_titles_and_texts_are_loaded():
    load()
    gb2707 = Standard.objects.get(key="gb-2707-2016")
    assert gb2707.jurisdiction == "cn" and "鲜" in gb2707.title_original
    tr034 = Standard.objects.get(key="tr-cu-034-2013")
    assert "О безопасности мяса" in tr034.title_original
    assert Clause.objects.filter(
        original_language="zh", text_original__contains="沙门氏菌"
    ).exists()
    assert Clause.objects.filter(original_language="ru").exclude(text_original="").exists()


def test_gb_2762_2025_supersedes_the_2022_edition():
    load()
    new = Standard.objects.get(key="gb-2762-2025")
    old = Standard.objects.get(key="gb-2762-2022")
    assert list(new.supersedes.all()) == [old]
    assert old.status == Standard.Status.SUPERSEDED


def test_a_second_run_changes_nothing():
    load()
    before = counts()
    snapshot = {
        m.key: (m.updated_at, sorted(m.kz_clauses.values_list("pk", flat=True)))
        for m in ClauseMapping.objects.all()
    }
    out = _Sink()
    call_command("load_reference_data", stdout=out)
    assert counts() == before
    assert "already up to date" in out.text
    assert " created" not in out.text and " updated" not in out.text
    assert snapshot == {
        m.key: (m.updated_at, sorted(m.kz_clauses.values_list("pk", flat=True)))
        for m in ClauseMapping.objects.all()
    }


def test_editors_assessments_survive_a_reload_unless_reset():
    load()
    ClauseMapping.objects.filter(key="KZCN-001").update(status="agreed", rationale="Agreed.")
    load()
    assert ClauseMapping.objects.get(key="KZCN-001").status == "agreed"
    load(reset_assessments=True)
    mapping = ClauseMapping.objects.get(key="KZCN-001")
    assert mapping.status == "not_started" and mapping.rationale != "Agreed."


def test_a_changed_figure_is_updated_in_place(data_copy):
    load(data_dir=data_copy)
    before = counts()

    def change(content):
        content["mappings"][0]["cn"][0]["limits"][0]["value"] = "0.25"

    edit_yaml(data_copy / "mappings-chilled.yaml", change)
    load(data_dir=data_copy)
    assert counts() == before
    lead = ClauseMapping.objects.get(key="KZCN-001")
    assert Decimal("0.25") in [lim.value for lim in limits_of(lead, "cn")]


def _break_last_file(content):
    content["mappings"][-1]["kz"] = [
        {**content["mappings"][-1]["kz"][0], "limits": [{"parameter": "cs-137", "kind": "maximum"}]}
    ]


@pytest.mark.parametrize("preloaded", [False, True])
def test_a_malformed_file_stops_the_load_and_changes_nothing(data_copy, preloaded):
    if preloaded:
        load(data_dir=data_copy)
        ClauseMapping.objects.filter(key="KZCN-001").update(title="Edited title")
    before = counts()
    edit_yaml(data_copy / "mappings-heat-treated.yaml", _break_last_file)
    with pytest.raises(CommandError) as excinfo:
        load(data_dir=data_copy)
    message = str(excinfo.value)
    assert "nothing was changed" in message
    assert "mappings-heat-treated.yaml" in message
    assert "mapping 'KZCN-065' kz[0] limits[0]" in message
    assert "field 'value'" in message
    assert counts() == before
    if preloaded:
        assert ClauseMapping.objects.get(key="KZCN-001").title == "Edited title"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda c: c["standards"][0].update(status="valid"),
            "documents.yaml: standard 'tr-cu-034-2013', field 'status': 'valid' is not one of",
        ),
        (
            lambda c: c["standards"][1].update(colour="red"),
            "field 'colour': unknown field",
        ),
        (
            lambda c: c["standards"][2].update(adopted="09.12.2011"),
            "field 'adopted': '09.12.2011' is not a date in the form YYYY-MM-DD",
        ),
        (
            lambda c: c["standards"][3].update(supersedes=["no-such-document"]),
            "field 'supersedes': unknown standard 'no-such-document'",
        ),
        (
            lambda c: c["standards"].append(dict(c["standards"][0])),
            "standard 'tr-cu-034-2013', field 'key': duplicate key",
        ),
    ],
)
def test_document_errors_name_file_record_and_field(data_copy, change, expected):
    edit_yaml(data_copy / "documents.yaml", change)
    with pytest.raises(CommandError, match="nothing was changed") as excinfo:
        load(data_dir=data_copy)
    assert expected in str(excinfo.value)
    assert counts() == {name: 0 for name in counts()}


def test_a_float_figure_is_refused_so_figures_stay_exact(data_copy):
    def change(content):
        content["mappings"][0]["kz"][0]["limits"][0]["value"] = 0.5

    edit_yaml(data_copy / "mappings-chilled.yaml", change)
    with pytest.raises(CommandError, match="quoted decimal string"):
        load(data_dir=data_copy)


def test_a_clause_defined_twice_is_refused(data_copy):
    def change(content):
        content["mappings"][1]["kz"] = [content["mappings"][0]["kz"][0]]

    edit_yaml(data_copy / "mappings-chilled.yaml", change)
    with pytest.raises(CommandError, match="is defined twice"):
        load(data_dir=data_copy)


def test_invalid_yaml_and_wrong_encoding_are_reported(data_copy):
    path = data_copy / "parameters.yaml"
    path.write_text("parameters: [unclosed\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"parameters\.yaml: file: not valid YAML"):
        load(data_dir=data_copy)
    path.write_bytes("parameters: []\n# свинец".encode("cp1251"))
    with pytest.raises(CommandError, match=r"parameters\.yaml: file: not UTF-8"):
        load(data_dir=data_copy)
    assert counts() == {name: 0 for name in counts()}
