"""Logging for workflow adapters: everything, including a failing case's traceback, to one file."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

from radiodeep.errors import RadiodeepError


@contextlib.contextmanager
def log_to(path: str | Path | None, level: int = logging.INFO) -> Iterator[logging.Logger]:
    """Send the root logger (and warnings) to ``path`` and stderr while the block runs.

    An exception raised inside the block is logged with its traceback, then re-raised, so
    Snakemake reports the job as failed and the log names the case, the file and the problem.
    A user error (:class:`RadiodeepError`: a bad case, a bad manifest) is logged as its one-line
    message, without a traceback, and the block exits with status 1.
    """
    root = logging.getLogger()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(path, mode="w"))
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for h in handlers:
        h.setFormatter(fmt)
        root.addHandler(h)
    old_level = root.level
    root.setLevel(level)
    logging.captureWarnings(True)
    try:
        yield root
    except RadiodeepError as exc:
        if not path:  # a command line: its own handler prints the one line (exit status 2)
            raise
        root.error("%s", exc)  # a workflow job: one line in its log and on stderr, no traceback
        raise SystemExit(1) from None
    except Exception:
        root.exception("failed")
        raise
    finally:
        for h in handlers:
            root.removeHandler(h)
            h.close()
        root.setLevel(old_level)
        logging.captureWarnings(False)
