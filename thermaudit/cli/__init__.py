"""Command-line interface: a thin adapter over the library.

Each command lives in its own module and registers itself on :data:`app`; no logic lives
only here. A :class:`~thermaudit.errors.ThermauditError` becomes a clear message on stderr
and exit code 2, never a traceback.

A command module imports the library (ibis, DuckDB, pint, Typst, ...) inside its commands,
when they run: ``--help``, ``--version`` and every command's help start without it, and the
names an option lists (languages, export formats, demo scales) come from light modules
(``tests/test_startup.py`` holds the list of what must not load).

Every string the commands print may hold user data (an enterprise named ``Evil [/] Co``, a
cell ``:smile:``, a path with brackets), so the consoles interpret no markup, no emoji codes
and highlight nothing: a plain ``str`` is printed as it is, in a table cell too. Styled text
is made with :func:`styled`, whose template is ours and whose values are escaped.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from thermaudit.errors import InvalidDataset, ThermauditError

app = typer.Typer(
    name="thermaudit",
    help="Energy-saving and carbon-reduction diagnostics for casting and molding plants.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def make_console(**options: object) -> Console:
    """A console that prints user data literally (no markup, emoji codes or highlighting)."""
    return Console(markup=False, emoji=False, highlight=False, **options)  # type: ignore[arg-type]


def styled(template: str, **values: object) -> Text:
    """Text from Rich markup ``template``; its ``{name}`` fields are filled with ``values``,
    escaped, so data is never read as markup or as an emoji code.

    >>> styled("[green]imported[/] as {name}", name="Evil [/] Co").plain
    'imported as Evil [/] Co'
    """
    filled = template.format(**{k: escape(str(v)) for k, v in values.items()})
    return Text.from_markup(filled, emoji=False)


console = make_console()
err_console = make_console(stderr=True)

#: exit code for a user mistake (bad input, refused operation)
EXIT_USER_ERROR = 2


def report_error(exc: ThermauditError) -> None:
    """Print a user error without a traceback; its lines are never broken inside (a path or
    a key stays whole to copy, the terminal wraps long lines)."""
    if isinstance(exc, InvalidDataset):
        n = len(exc.problems)
        err_console.print(
            styled(
                "[bold red]error:[/] the dataset was rejected: {n} problem{s}; nothing was stored.",
                n=f"{n}{'+' if exc.truncated else ''}",
                s="s" if n != 1 else "",
            ),
            soft_wrap=True,
        )
        for p in exc.problems:
            err_console.print(f"  {p}", soft_wrap=True)
        if exc.truncated:
            err_console.print("  … (list capped)")
    else:
        err_console.print(styled("[bold red]error:[/] {exc}", exc=exc), soft_wrap=True)
    if exc.hint:
        err_console.print(styled("[dim]hint:[/] {hint}", hint=exc.hint), soft_wrap=True)


def _register() -> None:
    # import for side effects: each module adds its commands to ``app``
    from thermaudit.cli import commands  # noqa: F401


def _print_version(value: bool) -> None:
    if value:
        from thermaudit._version import __version__

        console.print(f"thermaudit {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the software version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Energy-saving and carbon-reduction diagnostics for casting and molding plants."""


def main() -> None:
    """Console-script entry point."""
    _register()
    try:
        app()
    except ThermauditError as exc:
        report_error(exc)
        sys.exit(EXIT_USER_ERROR)
