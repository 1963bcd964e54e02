"""The finding catalogue (``thermaudit/quality/data/findings.csv``) against the code that uses
it: every code named in the package exists (a missing one is a KeyError at run time), every
row is complete, and every message template formats with the evidence its call sites pass."""

from __future__ import annotations

import ast
import csv
import re
import string
from importlib import resources
from pathlib import Path

import pytest

import thermaudit
from thermaudit.dataset.reader import normalize
from thermaudit.demo import write_demo
from thermaudit.metrics.assess import assess, connect
from thermaudit.quality.findings import SEVERITIES, Finding, catalogue, finding

PACKAGE = Path(thermaudit.__file__).parent
CODE = re.compile(r"""["']((?:quality|metric)(?:\.[a-z_0-9]+)+)["']""")


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def literal_codes() -> dict[str, list[str]]:
    """Every string literal of the package that looks like a finding code, with where."""
    out: dict[str, list[str]] = {}
    for path in sources():
        for i, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            for code in CODE.findall(line):
                out.setdefault(code, []).append(f"{path.relative_to(PACKAGE)}:{i}")
    return out


def call_sites() -> list[tuple[str, str, frozenset[str], bool]]:
    """``finding("code", ...)`` calls: (code, where, keyword names, has ``**kwargs``)."""
    out = []
    for path in sources():
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "finding"):
                continue
            first = node.args[0] if node.args else None
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"{path.relative_to(PACKAGE)}:{node.lineno}: finding() without a literal code"
            )
            names = frozenset(k.arg for k in node.keywords if k.arg and k.arg != "metrics")
            splat = any(k.arg is None for k in node.keywords)
            out.append((first.value, f"{path.relative_to(PACKAGE)}:{node.lineno}", names, splat))
    return out


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# ---------------------------------------------------------------------------------------------
# static: the source against the catalogue


def test_the_scan_finds_the_call_sites() -> None:
    """Guard against a scan that finds nothing (a test that cannot fail)."""
    sites = call_sites()
    assert len(sites) >= 40
    assert {c for c, *_ in sites} >= {"quality.reading.gap", "metric.not_computable"}
    assert set(literal_codes()) >= {c for c, *_ in sites}


def test_every_code_in_the_source_is_in_the_catalogue() -> None:
    cat = catalogue()
    missing = {c: where for c, where in literal_codes().items() if c not in cat}
    assert missing == {}


def test_every_catalogue_code_is_emitted_somewhere() -> None:
    emitted = {c for c, *_ in call_sites()}
    assert set(catalogue()) - emitted == set()


def test_catalogue_rows_are_complete() -> None:
    text = resources.files("thermaudit.quality").joinpath("data", "findings.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    codes = [r["code"] for r in rows]
    assert len(codes) == len(set(codes)), "a code is listed twice"
    for r in rows:
        assert set(r) == {"code", "severity", "en", "zh", "ko", "action"}, r["code"]
        assert re.fullmatch(r"(quality|metric)(\.[a-z_0-9]+)+", r["code"]), r["code"]
        assert r["severity"] in SEVERITIES == ("info", "warning", "error"), r["code"]
        for col in ("en", "zh", "ko", "action"):
            assert r[col].strip(), (r["code"], col)
        # every language asks for the same evidence (zh, ko may add *_zh, *_ko variants)
        en, zh, ko = fields(r["en"]), fields(r["zh"]), fields(r["ko"])
        assert {f.removesuffix("_zh") for f in zh} == en, r["code"]
        assert {f.removesuffix("_ko") for f in ko} == en, r["code"]


@pytest.mark.parametrize(
    "site", call_sites(), ids=lambda s: f"{s[0]}@{s[1]}" if isinstance(s, tuple) else str(s)
)
def test_call_site_passes_every_template_field(
    site: tuple[str, str, frozenset[str], bool],
) -> None:
    code, where, names, splat = site
    entry = catalogue()[code]
    if splat:  # pragma: no cover - no call site spreads a dict today
        pytest.skip(f"{where}: evidence passed as **kwargs")
    need = fields(entry.en) | fields(entry.zh) | fields(entry.ko)
    assert need - names == set(), f"{where}: {code} lacks evidence {sorted(need - names)}"


def test_unknown_code_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"unknown finding code 'quality\.nope'.*quality\.reading"):
        finding("quality.nope")


# ---------------------------------------------------------------------------------------------
# dynamic: findings of a real assessment format their templates


@pytest.fixture(scope="module")
def demo_findings(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    tmp = tmp_path_factory.mktemp("catalogue-demo")
    info = write_demo(tmp / "dataset", days=7)
    return assess(normalize(info.path, tmp / "norm"), con=connect()).findings


def test_real_findings_render_their_templates(demo_findings: list[Finding]) -> None:
    cat = catalogue()
    assert len({f.code for f in demo_findings}) >= 8  # the demo's planted and calendar codes
    for f in demo_findings:
        entry = cat[f.code]
        assert f.severity == entry.severity
        fill = {k: ("" if v is None else v) for k, v in f.evidence.items()}
        assert f.message == entry.en.format(**fill)
        assert f.message_zh == entry.zh.format(**fill)
        assert f.message_ko == entry.ko.format(**fill)
        for text in (f.message, f.message_zh, f.message_ko):
            assert "{" not in text and "}" not in text, (f.code, text)
        # the variable parts reach the message: the subject is named in it
        for key in ("meter", "controller", "instrument", "carrier", "parent"):
            if key in f.evidence:
                assert str(f.evidence[key]) in f.message, (f.code, f.message)
