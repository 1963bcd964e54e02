"""Command-line interface: a thin adapter over the library.

Each command lives in its own module and registers itself on :data:`app`; no logic lives
only here. A :class:`~thermaudit.errors.ThermauditError` becomes a clear message on stderr
and exit code 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from thermaudit.errors import InvalidDataset, ThermauditError

app = typer.Typer(
    name="thermaudit",
    help="Energy-saving and carbon-reduction diagnostics for casting and molding plants.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

#: exit code for a user mistake (bad input, refused operation)
EXIT_USER_ERROR = 2


def report_error(exc: ThermauditError) -> None:
    """Print a user error without a traceback."""
    if isinstance(exc, InvalidDataset):
        n = len(exc.problems)
        err_console.print(
            f"[bold red]error:[/] the dataset was rejected: {n}{'+' if exc.truncated else ''} "
            f"problem{'s' if n != 1 else ''}; nothing was stored."
        )
        for p in exc.problems:
            err_console.print(f"  {p}", markup=False, highlight=False)
        if exc.truncated:
            err_console.print("  … (list capped)", markup=False)
    else:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
    if exc.hint:
        err_console.print(f"[dim]hint:[/] {exc.hint}", highlight=False)


def _register() -> None:
    # import for side effects: each module adds its commands to ``app``
    from thermaudit.cli import commands  # noqa: F401


@app.callback()
def _root() -> None:
    """Energy-saving and carbon-reduction diagnostics for casting and molding plants."""


def main() -> None:
    """Console-script entry point."""
    _register()
    try:
        app()
    except ThermauditError as exc:
        report_error(exc)
        sys.exit(EXIT_USER_ERROR)
