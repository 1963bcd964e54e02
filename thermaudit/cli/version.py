"""``thermaudit version`` (the same line as ``thermaudit --version``)."""

from thermaudit._version import __version__
from thermaudit.cli import app, console


@app.command()
def version() -> None:
    """Print the software version."""
    console.print(f"thermaudit {__version__}")
