"""Imports every command module so that each registers itself on the Typer app."""

from thermaudit.cli import (  # noqa: F401
    assess,
    baseline,
    benchmark,
    check,
    demo,
    diagnose,
    export,
    portfolio,
    readiness,
    report,
    serve,
    sign,
    version,
    workspace,
)
