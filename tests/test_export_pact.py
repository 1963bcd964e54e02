"""``thermaudit export -f pact``: ``pact-footprints.json``, one PACT v3 ProductFootprint per SKU.

The model below is the project's own, written from the facts of the WBCSD PACT Technical
Specifications v3.0.3 (shared/reference/exports.md section 3): required fields, decimals as
strings matching ``^[+-]?\\d+(\\.\\d+)?$``, URNs, enums, at most one geography field.

The footprint plant (tests/metrics/test_footprint.py): SKUs A and B (aluminium, 2 kg and
5 kg) complete cradle-to-gate; C (zinc) has a metal input without a default factor, so its
footprint is incomplete and is left out of the PACT file with that reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from cli_run import thermaudit
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

sys.path.insert(0, str(Path(__file__).parent / "metrics"))
from test_footprint import plant

DECIMAL = r"^[+-]?\d+(\.\d+)?$"
Dec = Annotated[str, StringConstraints(pattern=DECIMAL)]
Urn = Annotated[str, StringConstraints(pattern=r"^[uU][rR][nN]:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
RFC3339 = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"
DateTime = Annotated[str, StringConstraints(pattern=RFC3339)]


def _positive(text: str) -> str:
    if not Decimal(text) > 0:
        raise ValueError(f"expected a positive decimal, found {text}")
    return text


class CarbonFootprint(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    declaredUnitOfMeasurement: Literal[
        "liter",
        "kilogram",
        "cubic meter",
        "kilowatt hour",
        "megajoule",
        "ton kilometer",
        "square meter",
        "piece",
        "hour",
        "megabit second",
    ]
    declaredUnitAmount: Dec
    productMassPerDeclaredUnit: Dec
    referencePeriodStart: DateTime
    referencePeriodEnd: DateTime
    geographyCountry: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    geographyRegionOrSubregion: str | None = None
    geographyCountrySubdivision: (
        Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$")] | None
    ) = None
    pcfExcludingBiogenicUptake: Dec
    pcfIncludingBiogenicUptake: Dec
    fossilGhgEmissions: Dec
    fossilCarbonContent: Dec
    ipccCharacterizationFactors: list[Annotated[str, StringConstraints(pattern=r"^AR\d+$")]] = (
        Field(min_length=1)
    )
    crossSectoralStandards: list[
        Literal[
            "ISO14067",
            "ISO14083",
            "ISO14040-44",
            "GHGP-Product",
            "PEF",
            "PACT-1.0",
            "PACT-2.0",
            "PACT-3.0",
        ]
    ] = Field(min_length=1)
    exemptedEmissionsPercent: Dec
    boundaryProcessesDescription: str | None = None
    packagingEmissionsIncluded: bool
    primaryDataShare: Dec
    ccsTechnologicalCO2CaptureIncluded: bool

    @model_validator(mode="after")
    def _rules(self) -> CarbonFootprint:
        _positive(self.declaredUnitAmount)
        if self.declaredUnitOfMeasurement != "kilogram":
            _positive(self.productMassPerDeclaredUnit)
        geo = [
            self.geographyCountry,
            self.geographyRegionOrSubregion,
            self.geographyCountrySubdivision,
        ]
        if sum(g is not None for g in geo) > 1:
            raise ValueError("at most one geography field")
        if not 0 <= Decimal(self.primaryDataShare) <= 100:
            raise ValueError("primaryDataShare is a percentage")
        if not dt.datetime.fromisoformat(self.referencePeriodStart) < dt.datetime.fromisoformat(
            self.referencePeriodEnd
        ):
            raise ValueError("reference period ends before it starts")
        for name in ("crossSectoralStandards", "ipccCharacterizationFactors"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name} not unique")
        return self


class ProductFootprint(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")]
    specVersion: Literal["3.0.3"]
    created: DateTime
    status: Literal["Active", "Deprecated"]
    companyName: NonEmpty
    companyIds: list[Urn] = Field(min_length=1)
    productDescription: str
    productIds: list[Urn] = Field(min_length=1)
    productClassifications: list[Urn] | None = Field(default=None, min_length=1)
    productNameCompany: NonEmpty
    comment: str | None = None
    pcf: CarbonFootprint


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pact")
    p = plant()
    for prod in p.site["products"]:
        if prod["sku"] == "A":
            prod["cn_code"] = "7616991090"
    out = root / "out"
    run = thermaudit("export", p.write(root / "dataset"), "-o", out, "-f", "pact")
    assert run.returncode == 0, run.stderr
    assert f"wrote {out / 'pact-footprints.json'}" in " ".join(run.stdout.split())
    return out


def _load(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def test_every_footprint_is_valid_against_the_v3_model(exported: Path) -> None:
    doc = _load(exported / "pact-footprints.json")
    assert len(doc["data"]) == 2  # A and B; C is left out (below)
    for pf in doc["data"]:
        ProductFootprint.model_validate(pf)
        assert pf["pcf"]["declaredUnitOfMeasurement"] == "piece"
        assert pf["pcf"]["geographyCountry"] == "CN"


def test_the_model_refuses_what_pact_refuses(exported: Path) -> None:
    """The model can fail: a float where a decimal string belongs, an exponent, two
    geographies, a non-URN product id."""
    good = _load(exported / "pact-footprints.json")["data"][0]
    bad_cases = [
        ("pcf", "pcfExcludingBiogenicUptake", 12.5),
        ("pcf", "pcfExcludingBiogenicUptake", "1.2e+3"),
        ("pcf", "geographyRegionOrSubregion", "Eastern Asia"),
        ("pcf", "declaredUnitAmount", "0.0"),
        (None, "productIds", ["A"]),
    ]
    for where, key, value in bad_cases:
        pf = json.loads(json.dumps(good))
        (pf[where] if where else pf)[key] = value
        with pytest.raises(ValueError):
            ProductFootprint.model_validate(pf)


def test_the_figures_are_the_assessments_per_piece_market_based(exported: Path) -> None:
    doc = _load(exported / "pact-footprints.json")
    fp = _load(exported / "assessment.json")["product_footprint"]
    by_name = {pf["productNameCompany"]: pf for pf in doc["data"]}
    for sku, name in (("A", "支架"), ("B", "壳体")):
        v, pcf = fp["by_sku"][sku], by_name[name]["pcf"]
        # exact: the decimal string is the float's shortest repr
        assert float(pcf["pcfExcludingBiogenicUptake"]) == v["kgco2e_per_piece_market"]
        assert pcf["pcfIncludingBiogenicUptake"] == pcf["pcfExcludingBiogenicUptake"]
        assert pcf["fossilGhgEmissions"] == pcf["pcfExcludingBiogenicUptake"]
        assert float(pcf["productMassPerDeclaredUnit"]) == v["unit_mass_kg"]
        assert float(pcf["primaryDataShare"]) == pytest.approx(
            v["primary_data_share"] * 100, rel=1e-15
        )  # one multiplication by 100
        assert pcf["crossSectoralStandards"] == ["ISO14067", "GHGP-Product"]
    # independent route: per piece = (scope 1+2 market share + metal share) / good pieces
    a = fp["by_sku"]["A"]
    per_piece = (a["scope12_market_t"] + a["metal_t"]) * 1000 / 900
    assert float(by_name["支架"]["pcf"]["pcfExcludingBiogenicUptake"]) == pytest.approx(
        per_piece, rel=1e-12
    )  # summation order differs


def test_identity_urns_and_the_reference_period(exported: Path) -> None:
    doc = _load(exported / "pact-footprints.json")
    a = next(pf for pf in doc["data"] if pf["productNameCompany"] == "支架")
    assert a["companyIds"] == ["urn:pact:gsxt.gov.cn:uscc:91320505MA1P7QWK8M"]
    assert a["productClassifications"] == ["urn:pact:taxation-customs.ec.europa.eu:cn:7616991090"]
    (pid,) = a["productIds"]
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", pid)
    assert uuid.UUID(pid.removeprefix("urn:uuid:")).version == 5
    b = next(pf for pf in doc["data"] if pf["productNameCompany"] == "壳体")
    assert "productClassifications" not in b  # no CN code, no classification invented
    assert len({a["id"], b["id"]}) == 2 and a["productIds"] != b["productIds"]
    # the assessment period 2025-03-01 (one day, Asia/Shanghai), end excluded
    assert a["pcf"]["referencePeriodStart"] == "2025-03-01T00:00:00+08:00"
    assert a["pcf"]["referencePeriodEnd"] == "2025-03-02T00:00:00+08:00"


def test_the_file_names_its_assessment_and_what_it_left_out(exported: Path) -> None:
    doc = _load(exported / "pact-footprints.json")
    sha = hashlib.sha256((exported / "assessment.json").read_bytes()).hexdigest()
    assert doc["thermaudit"]["assessment"]["sha256"] == sha
    assert all(sha in pf["comment"] for pf in doc["data"])
    assert all("market-based" in pf["comment"] for pf in doc["data"])
    (c,) = doc["thermaudit"]["left_out"]
    assert c["sku"] == "C" and "default factor" in c["reason"]


def test_re_export_gives_the_same_ids(exported: Path, tmp_path: Path) -> None:
    (tmp_path / "assessment.json").write_bytes((exported / "assessment.json").read_bytes())
    run = thermaudit("export", tmp_path, "-f", "pact")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "pact-footprints.json").read_bytes() == (
        exported / "pact-footprints.json"
    ).read_bytes()


def test_a_changed_figure_gives_a_new_footprint_id(exported: Path, tmp_path: Path) -> None:
    from thermaudit.exports import pact, source_of

    raw = (exported / "assessment.json").read_bytes()
    doc = json.loads(raw)
    before = {pf["productIds"][0]: pf["id"] for pf in pact.document(doc, source_of(raw))["data"]}
    doc["product_footprint"]["by_sku"]["A"]["kgco2e_per_piece_market"] *= 1.01
    after = {pf["productIds"][0]: pf["id"] for pf in pact.document(doc, source_of(raw))["data"]}
    assert before.keys() == after.keys()
    assert sum(before[k] != after[k] for k in before) == 1  # A's id changed, B's did not
    # a difference in the last bits (a parallel sum's order) keeps the id
    doc = json.loads(raw)
    doc["product_footprint"]["by_sku"]["A"]["kgco2e_per_piece_market"] *= 1 + 4e-16
    again = {pf["productIds"][0]: pf["id"] for pf in pact.document(doc, source_of(raw))["data"]}
    assert again == before


def test_a_gate_to_gate_footprint_is_stated_not_served(tmp_path: Path) -> None:
    run = thermaudit("export", plant(metal=False).write(tmp_path / "d"), "-o", tmp_path / "o")
    assert run.returncode == 0, run.stderr  # --format all includes pact
    doc = _load(tmp_path / "o" / "pact-footprints.json")
    assert doc["data"] == []
    assert doc["thermaudit"]["boundary"] == "gate-to-gate"
    assert {x["sku"] for x in doc["thermaudit"]["left_out"]} == {"A", "B", "C"}
    assert all("gate-to-gate" in x["reason"] for x in doc["thermaudit"]["left_out"])


def test_signing_covers_the_pact_file(exported: Path, tmp_path: Path) -> None:
    from thermaudit.signing import sign_folder, verify_folder
    from thermaudit.signing_keys import generate_key

    folder = tmp_path / "signed"
    folder.mkdir()
    for name in ("assessment.json", "pact-footprints.json"):
        (folder / name).write_bytes((exported / name).read_bytes())
    generate_key(tmp_path / "key.pem", signer="test")
    manifest = sign_folder(folder, tmp_path / "key.pem", signer="test", sign_report=False)
    assert "pact-footprints.json" in {f["path"] for f in manifest.files}
    assert verify_folder(folder).valid
    (folder / "pact-footprints.json").write_text('{"data": []}\n', "utf-8")
    assert not verify_folder(folder).valid
