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

from radiodeep.cli import stages  # noqa: E402,F401  (registers commands)


def main() -> None:
    app()
from radiodeep.cli import segment  # noqa: E402,F401,I001  (registers commands)
