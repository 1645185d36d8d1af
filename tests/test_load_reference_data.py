"""The loader of the sourced reference dataset: content, idempotency, atomic failure."""

import shutil
from decimal import Decimal

import pytest
import yaml
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management import CommandError, call_command

from standards.models import Clause, ClauseMapping, Limit, Parameter, Standard
from standards.reference import (
    CONSTRAINT_FIELDS,
    DATA_DIR,
    DATASET_NAMES,
    LIMIT_SPEC,
    ReferenceDataError,
    load_reference_data,
)

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
    # The offal figure of TR CU 021 comes from a secondary source (second review): medium.
    assert lead.confidence == "medium"
    kz = [lim for lim in limits_of(lead, "kz") if lim.parameter.key == "lead"]
    cn = [lim for lim in limits_of(lead, "cn") if lim.parameter.key == "lead"]
    assert sorted((lim.kind, lim.value, lim.unit, lim.matrix, lim.evidence) for lim in kz) == [
        ("maximum", Decimal("0.5"), "mg/kg", "meat", "read"),
        ("maximum", Decimal("0.6"), "mg/kg", "offal", "secondary"),
    ]
    assert ("maximum", Decimal("0.2"), "mg/kg") in [(lim.kind, lim.value, lim.unit) for lim in cn]
    assert {c.standard.jurisdiction for c in lead.kz_clauses.all()} == {"kz"}
    assert lead.cn_clauses.get().standard.code == "GB 2762-2025"


def test_an_empty_side_in_the_sheet_is_a_gap_not_an_invented_requirement():
    load()
    salmonella = ClauseMapping.objects.get(key="KZCN-019")  # raw meat: Kazakh limit only
    assert salmonella.gap_side == "cn"
    assert salmonella.alignment == ClauseMapping.Alignment.KZ_ONLY
    assert salmonella.cn_evidence == "absence_verified"
    caesium = ClauseMapping.objects.get(key="KZCN-006")  # China's limit is in GB 14882-1994
    assert caesium.gap_side == ""
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
        {
            **content["mappings"][-1]["kz"][0],
            "limits": [
                {
                    "parameter": "cs-137",
                    "kind": "maximum",
                    "evidence": "read",
                    "evidence_note": "Read in the legal text.",
                }
            ],
        }
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


# --- one set of rules: the loader validates through the models --------------------------


def write_dataset(directory, parameter="lead", standard="gb-1", mapping="KZCN-001", limit=None):
    """A one-file dataset: a parameter, a standard, and a mapping whose Chinese clause
    carries one limit (a lead maximum, changed by `limit`)."""
    directory.mkdir(exist_ok=True)
    content = {
        "parameters": [{"key": parameter, "name_en": "Lead (Pb)", "unit": "mg/kg"}],
        "standards": [
            {
                "key": standard,
                "jurisdiction": "cn",
                "code": "GB 1-2025",
                "title_en": "Contaminants in food",
                "kind": "national_standard",
                "status": "in_force",
                "product_scope": "both",
            }
        ],
        "mappings": [
            {
                "key": mapping,
                "product_group": "chilled",
                "topic": "contaminants",
                "title": "Lead (Pb)",
                "confidence": "high",
                "alignment": "cn_only",
                "status": "not_started",
                "kz_evidence": "absence_verified",
                "kz_evidence_note": "The EAEU texts were read and set none.",
                "cn_evidence": "read",
                "cn_evidence_note": "Read in the legal text.",
                "cn": [
                    {
                        "standard": standard,
                        "ref": "4.1",
                        "text_en": "Lead not more than 0.2 mg/kg.",
                        "scope": "chilled",
                        "confidence": "high",
                        "limits": [
                            {
                                "parameter": parameter,
                                "kind": "maximum",
                                "value": "0.2",
                                "unit": "mg/kg",
                                "evidence": "read",
                                "evidence_note": "Read in the legal text.",
                                **(limit or {}),
                            }
                        ],
                    }
                ],
            }
        ],
    }
    (directory / "dataset.yaml").write_text(
        yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return directory


def test_the_one_file_dataset_loads(tmp_path):
    load(data_dir=write_dataset(tmp_path / "data"))
    assert counts() == {"Parameter": 1, "Standard": 1, "Clause": 1, "Limit": 1, "ClauseMapping": 1}


LIMIT_FAULTS = [
    ({"kind": "maximum", "upper_value": "1"}, "limit_bound_has_one_value", "value"),
    ({"kind": "minimum", "value": None}, "limit_bound_has_one_value", "value"),
    ({"kind": "range", "value": "5", "upper_value": "1"}, "limit_range_ordered", "upper_value"),
    ({"kind": "range", "upper_value": None}, "limit_range_ordered", "upper_value"),
    ({"kind": "absent", "value": "0", "unit": "g"}, "limit_absent_has_quantity", "value"),
    # The database check passes where its condition is unknown: "value > 0" alone let an
    # absence without a quantity through the model, though not through the loader.
    ({"kind": "absent", "value": None, "unit": "g"}, "limit_absent_has_quantity", "value"),
    ({"kind": "prohibited"}, "limit_without_figures", "value"),
    ({"kind": "no_limit", "value": None, "upper_value": "1"}, "limit_without_figures", "value"),
    ({"n": "0"}, "limit_plan_n_positive", "n"),
    ({"c": "1"}, "limit_plan_c_within_n", "c"),
    ({"n": "5", "c": "6"}, "limit_plan_c_within_n", "c"),
    ({"n": "5", "c": "2", "m": "1000", "M": "100"}, "limit_plan_m_not_above_big_m", "M"),
]


def limit_constraint(code):
    return next(c for c in Limit._meta.constraints if c.violation_error_code == code)


@pytest.mark.parametrize(("change", "code", "field_name"), LIMIT_FAULTS)
def test_a_limit_breaking_a_model_constraint_is_refused_with_its_code_and_message(
    tmp_path, change, code, field_name
):
    with pytest.raises(ReferenceDataError) as refused:
        load_reference_data(write_dataset(tmp_path / "data", limit=change))
    error = refused.value
    assert (error.file, error.record, error.field) == (
        "dataset.yaml",
        "mapping 'KZCN-001' cn[0] limits[0]",
        field_name,
    )
    assert error.code == code
    assert error.message == str(limit_constraint(code).violation_error_message)
    assert counts() == {name: 0 for name in counts()}


@pytest.mark.parametrize(("change", "code", "field_name"), LIMIT_FAULTS)
def test_the_admin_and_the_import_refuse_the_same_limits_with_the_same_code(
    change, code, field_name
):
    """What the loader refused above, Limit.full_clean() (the admin form, the spreadsheet
    import) refuses by the same rule."""
    parameter = Parameter.objects.create(key="lead", name_en="Lead (Pb)")
    clause = Clause.objects.create(
        standard=Standard.objects.create(
            key="gb-1", jurisdiction="cn", code="GB 1", title_en="T", kind="decree", status="draft"
        ),
        reference="4.1",
        topic="contaminants",
        confidence="high",
    )
    values = {"kind": "maximum", "value": "0.2", "unit": "mg/kg", **change}
    fields = {"n": "plan_n", "c": "plan_c", "m": "plan_m", "M": "plan_big_m"}
    limit = Limit(
        clause=clause, parameter=parameter, **{fields.get(k, k): v for k, v in values.items()}
    )
    with pytest.raises(ValidationError) as refused:
        limit.full_clean()
    assert [error.code for error in refused.value.error_dict[NON_FIELD_ERRORS]] == [code]


def test_every_limit_constraint_has_a_code_a_message_and_a_dataset_field():
    for constraint in Limit._meta.constraints:
        assert constraint.violation_error_code == constraint.name
        assert "is violated" not in str(constraint.get_violation_error_message())
        model_field = CONSTRAINT_FIELDS[constraint.violation_error_code]
        assert DATASET_NAMES[Limit].get(model_field, model_field) in LIMIT_SPEC


def test_a_field_the_model_refuses_is_named_as_the_dataset_names_it(tmp_path):
    def change(content):
        content["mappings"][0]["cn"][0]["ref"] = "4." * 101

    data = write_dataset(tmp_path / "data")
    edit_yaml(data / "dataset.yaml", change)
    with pytest.raises(ReferenceDataError) as refused:
        load_reference_data(data)
    assert refused.value.field == "ref"  # the model calls it "reference"
    assert "at most 200 characters" in refused.value.message


KEYS = ["KZCN-900", "kzcn_900", "Lead-2", "-lead", "a/b", "two words", "свинец", "x" * 90]


def model_refuses_key(model, key):
    try:
        model(key=key).full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        return "key" in error.message_dict
    return False


def loader_refuses_key(directory, **keys):
    write_dataset(directory, **keys)
    try:
        load_reference_data(directory)
    except ReferenceDataError as error:
        assert error.field in ("key", "standard", "parameter"), error
        return True
    return False


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(
    ("model", "record"),
    [(Parameter, "parameter"), (Standard, "standard"), (ClauseMapping, "mapping")],
)
def test_the_loader_and_the_model_share_one_key_rule(tmp_path, model, record, key):
    """A key the admin and the import accept, the loader accepts, and the other way round."""
    refused = loader_refuses_key(tmp_path / "data", **{record: key})
    assert refused == model_refuses_key(model, key)
    assert model.objects.filter(key=key).exists() is not refused
