"""Imports every command module so that each registers itself on the Typer app."""

from thermaudit.cli import version  # noqa: F401
