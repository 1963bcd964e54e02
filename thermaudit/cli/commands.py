"""Imports every command module so that each registers itself on the Typer app."""

from thermaudit.cli import assess, check, demo, report, sign, version, workspace  # noqa: F401
