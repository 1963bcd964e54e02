"""``site.yaml`` validation: every problem names its line and YAML path (0-based)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from thermaudit.dataset import load_site
from thermaudit.dataset.site import check_credit_code, credit_code_check_digit
from thermaudit.errors import InvalidDataset, Problem

MINI = Path(__file__).parents[1] / "fixtures" / "conformance" / "mini"


def edited(tmp_path: Path, old: str, new: str, occurrence: int = 1) -> tuple[Path, int]:
    """A copy of mini/site.yaml with the ``occurrence``-th line containing ``old`` edited;
    returns the path and the 1-based number of the edited line (found by text search)."""
    lines = (MINI / "site.yaml").read_text("utf-8").splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if old in line]
    i = hits[occurrence - 1]
    lines[i] = lines[i].replace(old, new)
    path = tmp_path / "site.yaml"
    path.write_text("".join(lines), "utf-8")
    return path, i + 1


def problems(path: Path) -> list[Problem]:
    with pytest.raises(InvalidDataset) as info:
        load_site(path)
    return info.value.problems


def only(path: Path) -> Problem:
    found = problems(path)
    assert len(found) == 1, found
    return found[0]


def test_conformance_site_loads() -> None:
    site = load_site(MINI / "site.yaml")
    assert site.timezone == "Asia/Shanghai"
    assert [m.id for m in site.meters][:3] == ["E-MAIN", "G-MAIN", "E-PV"]
    assert site.meter("E-CANTEEN").rollover == 9999.9


def test_credit_code_check_digit_of_a_published_code() -> None:
    # 91350100M000100Y43: the GB 32100 example code of a registered enterprise (check char 3)
    assert credit_code_check_digit("91350100M000100Y4") == "3"
    assert check_credit_code("91350100M000100Y43") is None


def test_credit_code_with_a_wrong_check_digit(tmp_path: Path) -> None:
    path, line = edited(tmp_path, "91320505MA1P7QWK8M", "91320505MA1P7QWK8N")
    p = only(path)
    assert (p.file, p.row, p.column) == ("site.yaml", line, "enterprise.credit_code")
    assert "check digit 'M' per GB 32100" in p.expected
    assert "'N'" in p.expected


@pytest.mark.parametrize(
    ("code", "part"),
    [
        ("91320505MA1P7QWK8", "18 characters (found 17)"),
        ("91320505MA1P7QWKOM", "without I, O, S, V, Z (found 'O')"),
    ],
)
def test_credit_code_shape(tmp_path: Path, code: str, part: str) -> None:
    path, line = edited(tmp_path, "91320505MA1P7QWK8M", code)
    p = only(path)
    assert (p.row, p.column) == (line, "enterprise.credit_code")
    assert part in p.expected


def test_duplicate_meter_id(tmp_path: Path) -> None:
    # E-FURN-3 (meters[16]) is renamed E-OFFICE (meters[13]); nothing refers to E-FURN-3
    path, line = edited(tmp_path, "id: E-FURN-3", "id: E-OFFICE")
    p = only(path)
    assert (p.row, p.column) == (line, "meters[16].id")
    assert "meters[13] has it already" in p.expected
    assert p.found == "'E-OFFICE'"


def test_duplicate_id_message_is_good_english(tmp_path: Path) -> None:
    """Regression: the message read 'a id unique within meters'."""
    path, _ = edited(tmp_path, "id: E-FURN-3", "id: E-OFFICE")
    assert only(path).expected.startswith("a unique id within meters")


def test_duplicate_product_sku(tmp_path: Path) -> None:
    path, line = edited(tmp_path, "sku: BRK-310", "sku: BKT-060")
    p = only(path)
    assert (p.row, p.column) == (line, "products[1].sku")
    assert "products[0]" in p.expected


def test_unit_not_matching_carrier(tmp_path: Path) -> None:
    # the fourth meter (E-CANTEEN, electricity) gets a gas unit: meters[3].unit
    path, line = edited(tmp_path, "unit: kWh", "unit: m3", occurrence=3)
    p = only(path)
    assert (p.file, p.row, p.column) == ("site.yaml", line, "meters[3].unit")
    assert p.expected == "a unit of electricity (Wh, kWh, MWh, GWh)"
    assert p.found == "'m3'"
    assert str(p) == (
        f"site.yaml, line {line}, meters[3].unit: expected a unit of electricity "
        "(Wh, kWh, MWh, GWh), found 'm3'"
    )


def test_unknown_parent(tmp_path: Path) -> None:
    path, line = edited(tmp_path, "parent: E-MAIN", "parent: E-MIAN")  # first: E-CANTEEN
    p = only(path)
    assert (p.row, p.column) == (line, "meters[3].parent")
    assert p.expected == "the id of another meter"
    assert p.found == "'E-MIAN'"


def test_unknown_equipment(tmp_path: Path) -> None:
    path, line = edited(tmp_path, "equipment: [DCM-01]", "equipment: [DCM-99]")
    p = only(path)
    assert (p.row, p.column) == (line, "meters[6].equipment[0]")
    assert p.expected == "an equipment id"
    assert p.found == "'DCM-99'"


def test_bad_role(tmp_path: Path) -> None:
    path, line = edited(tmp_path, "role: generation", "role: generator")
    p = only(path)
    assert (p.row, p.column) == (line, "meters[2].role")
    for role in ("supply", "submeter", "excluded", "export", "generation", "recovered_heat"):
        assert role in p.expected
    assert p.found == "'generator'"


def test_bad_timezone(tmp_path: Path) -> None:
    path, line = edited(tmp_path, "timezone: Asia/Shanghai", "timezone: Asia/Beijing")
    p = only(path)
    assert (p.row, p.column) == (line, "timezone")
    assert "IANA time zone" in p.expected
    assert p.found == "'Asia/Beijing'"


@pytest.mark.parametrize("name", ["Asia", "Asia/", "America/Argentina", "."])
def test_timezone_naming_a_folder_of_the_zone_database_is_refused_not_is_a_directory_error(
    tmp_path: Path, name: str
) -> None:
    """Regression (found by fuzz/fuzz_readers.py): ``timezone: Asia`` opened the zone
    database's folder Asia and raised IsADirectoryError."""
    path, line = edited(tmp_path, "timezone: Asia/Shanghai", f"timezone: '{name}'")
    p = only(path)
    assert (p.row, p.column) == (line, "timezone")
    assert "IANA time zone" in p.expected


def test_several_problems_are_all_listed(tmp_path: Path) -> None:
    text = (MINI / "site.yaml").read_text("utf-8")
    text = text.replace("timezone: Asia/Shanghai", "timezone: Mars/Olympus")
    text = text.replace("role: generation", "role: generator")
    path = tmp_path / "site.yaml"
    path.write_text(text, "utf-8")
    columns = [p.column for p in problems(path)]
    assert "timezone" in columns
    assert "meters[2].role" in columns


def test_missing_site_yaml(tmp_path: Path) -> None:
    p = only(tmp_path / "site.yaml")
    assert p.file == "site.yaml"
    assert p.row is None
    assert "site.yaml" in p.expected


def test_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path, line = edited(tmp_path, "timezone: Asia/Shanghai", "timezone: [Asia/Shanghai")
    p = only(path)
    assert p.expected == "valid YAML"
    assert p.row is not None and p.row >= line


def test_site_yaml_with_bom_loads(tmp_path: Path) -> None:
    shutil.copy(MINI / "site.yaml", tmp_path / "plain.yaml")
    (tmp_path / "site.yaml").write_bytes(b"\xef\xbb\xbf" + (MINI / "site.yaml").read_bytes())
    assert load_site(tmp_path / "site.yaml") == load_site(tmp_path / "plain.yaml")
