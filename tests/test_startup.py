"""Start-up of the CLI (issue #23, target 1): ``--help``, ``--version`` and every command's
help load none of the library's heavy dependencies.

Each case runs in a fresh interpreter (the test process has loaded everything already) and
asserts the *set* of modules loaded, never a time: a time depends on the machine, a module
that loads is a fact. ``benchmarks/bench_startup.py`` measures the times.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
import typer.main

from thermaudit.cli import _register, app

#: top-level packages that --help, --version and a command's --help must not import: the
#: engines and the data stack, the report's renderer and charts, the web stack, the signer
HEAVY = frozenset(
    {
        "ibis",
        "duckdb",
        "pint",
        "pandas",
        "scipy",
        "pyarrow",
        "typst",
        "matplotlib",
        "fastapi",
        "sqlalchemy",
        "numpy",
        "openpyxl",
        "uvicorn",
        "cryptography",
    }
)

# the CLI as the console script runs it, with standalone_mode=False so that the exit code is
# returned (None for a command that returns) and the modules loaded by then can be listed
_PROBE = textwrap.dedent(
    """
    import contextlib, io, json, sys
    import typer.main
    from thermaudit.cli import _register, app
    _register()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = typer.main.get_command(app).main(
            sys.argv[1:], prog_name="thermaudit", standalone_mode=False
        )
    result = {"code": 0 if code is None else code, "out": out.getvalue()}
    json.dump({**result, "modules": sorted(sys.modules)}, sys.stdout)
    """
)


def _command_paths() -> list[tuple[str, ...]]:
    """Every registered command, as the words that name it (``("spec", "show")``)."""
    _register()
    paths: list[tuple[str, ...]] = []

    def walk(cmd: object, prefix: tuple[str, ...]) -> None:
        sub = getattr(cmd, "commands", None)
        if sub is None:
            paths.append(prefix)
            return
        for name, child in sub.items():
            walk(child, (*prefix, name))

    walk(typer.main.get_command(app), ())
    return paths


COMMANDS = _command_paths()


def _probe(*args: str) -> dict[str, object]:
    run = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result: dict[str, object] = json.loads(run.stdout)
    return result


def _heavy(modules: object) -> set[str]:
    assert isinstance(modules, list)
    return {m.split(".")[0] for m in modules} & HEAVY


def test_every_command_is_listed() -> None:
    # the parametrization below covers what is registered; this pins that it found the
    # commands, so an empty list cannot pass unnoticed
    names = {" ".join(p) for p in COMMANDS}
    assert {"assess", "report", "export", "demo", "serve", "sign", "spec show"} <= names
    assert len(names) >= 17


@pytest.mark.parametrize("words", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_command_help_loads_no_heavy_module(words: tuple[str, ...]) -> None:
    result = _probe(*words, "--help")
    assert result["code"] == 0
    out = str(result["out"])
    assert "Usage:" in out and " ".join(words) in out
    assert _heavy(result["modules"]) == set()


def test_help_and_version_load_no_heavy_module() -> None:
    from thermaudit._version import __version__

    helped = _probe("--help")
    assert helped["code"] == 0 and "Commands" in str(helped["out"])
    assert _heavy(helped["modules"]) == set()
    version = _probe("--version")
    assert version["code"] == 0 and str(version["out"]).strip() == f"thermaudit {__version__}"
    assert _heavy(version["modules"]) == set()


def test_entry_point_imports_measured_by_python() -> None:
    # the real ``python -m thermaudit --help``, its imports as -X importtime reports them
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "thermaudit", "--help"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    imported = [
        line.rsplit("|", 1)[1].strip()
        for line in run.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    ]
    assert "thermaudit.cli.assess" in imported  # the parse found the commands' modules
    assert _heavy(imported) == set()


def test_version_option_matches_version_command() -> None:
    # the library is loaded once a command runs; `version` and `--version` say the same
    assert _probe("version")["out"] == _probe("--version")["out"]


def test_a_command_still_loads_what_it_uses() -> None:
    # the laziness is in the imports, not in the work: `spec show` loads the specification
    # and its units (pint) when it runs, and the probe sees it (so it can see a heavy module)
    result = _probe("spec", "show")
    assert result["code"] == 0 and "coefficients" in str(result["out"])
    assert "pint" in _heavy(result["modules"])
