"""The ``radiodeep`` command line (typer). Heavy imports happen inside commands, so --help is instant.

Each stage's commands live in their own module here and register on ``app``.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="radiodeep",
    help="Medical image cohorts to radiomic and deep features, and honest ROC estimates.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Run the command line; a user error (:class:`radiodeep.errors.RadiodeepError`) is one line on
    stderr and exit status 2, never a traceback."""
    import sys

    from radiodeep.errors import RadiodeepError

    try:
        app()
    except RadiodeepError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


# each module registers its commands on `app`
from radiodeep.cli import dicom, embed, evaluate, ibsi, report, segment, stages  # noqa: E402,F401,I001
