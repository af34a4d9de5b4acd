"""Errors that name the case, the file and the problem."""

from __future__ import annotations

from pathlib import Path


class RadiodeepError(Exception):
    """Base class for radiodeep's user-facing errors."""


class ManifestError(RadiodeepError):
    """A manifest is malformed; the message lists every offending row."""


class CaseError(RadiodeepError):
    """One case cannot be processed.

    Args:
        case_id: the manifest's case_id (or None when unknown).
        path: the file or folder at fault (or None).
        problem: what is wrong and, where possible, how to fix it.
    """

    def __init__(self, case_id: str | None, path: str | Path | None, problem: str):
        self.case_id = case_id
        self.path = None if path is None else str(path)
        self.problem = problem
        where = []
        if case_id is not None:
            where.append(f"case {case_id}")
        if path is not None:
            where.append(f"file {path}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {problem}" if prefix else problem)


class NoRoi(CaseError):
    """A case has no usable ROI for a stage: a U-Net that found nothing, or an ROI too small for
    texture features on the planned grid. An expected outcome, not an input error: the stage
    records the case as ``excluded`` with this reason, whatever ``on_error`` says, and goes on."""
