"""Batch records: what a per-case stage did to each case of one batch job.

A batch job (ingest, preprocess) runs many cases in one process and writes its per-case files
(``results/<stage>/<case>/...``) plus one batch record, ``results/<stage>/batches/<job>.json``:
per case ``status`` (``ok``, ``failed``, or ``excluded`` for a case without a usable ROI:
:class:`~radiodeep.errors.NoRoi`, whatever ``on_error`` says), for ``ok`` the SHA-256 of every file written (so the
record changes exactly when an output does: Snakemake's checksum-based rerun decisions still
hold downstream), for ``failed`` the ``reason`` (case, file and problem). The batch record is the
job's only declared output: Snakemake hashes every input once per output after a job
(snakemake/snakemake#4240), so one output per job keeps that cost linear in the batch, where
per-case outputs made it quadratic. Downstream stages read the records: a failed case is never
given to them as if it were an image, and the QC tables list it with its stage and reason.

Example:
    >>> rec = {"stage": "ingest", "cases": {"A": {"status": "failed", "reason": "case A: 4D"}}}
    >>> failed_cases([rec])
    {'A': 'ingest: case A: 4D'}
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radiodeep.errors import CaseError, NoRoi
from radiodeep.io import read_json, sha256_file, write_json, write_table

if TYPE_CHECKING:  # pandas (~0.7 s to import) only for the QC tables, not in every batch job
    import pandas as pd

log = logging.getLogger(__name__)

ON_ERROR = ("fail", "skip")
# The batch stages' per-case images are uncompressed NIfTI: internal files that the next stages
# read again (plan, preprocess, radiomics, segment, embed); SimpleITK's gzip made each write of
# a demo case ~5x and each read ~3x slower than the uncompressed file.
INTERNAL_SUFFIX = ".nii"


def skip_hint(stage: str) -> str:
    """The fix named by a failing case's one-line error under ``on_error: fail``."""
    return (f"fix or remove the case in the manifest, or set on_error: skip to leave it out "
            f"(listed with stage {stage} in results/report/excluded_cases.csv)")


def run_batch_cases(
    stage: str,
    cases: Sequence[str],
    run_one: Callable[[str], dict[str, str | Path]],
    out_record: str | Path,
    *,
    on_error: str = "fail",
    upstream: dict[str, str] | None = None,
    cleanup: Callable[[str], Iterable[str | Path]] | None = None,
) -> dict[str, Any]:
    """Run ``run_one(case)`` for each case in this process and write the batch record.

    Args:
        stage: the stage's name (``ingest``, ``preprocess``), recorded and shown in QC.
        run_one: does one case; returns the files it wrote (``{role: path}``), or those and a
            dict of QC fields (``(files, qc)``: recorded as the case's ``qc``, columns of the
            stage's QC table); raises :class:`CaseError` for a bad case.
        on_error: ``fail`` stops at the first bad case with a :class:`CaseError` naming the
            case, the file and the fix (no record is written: the job failed); ``skip`` records
            it as ``failed`` with its reason and goes on.
        upstream: ``{case: reason}`` of cases that failed in an earlier stage: recorded as
            failed here too, without being run.
        cleanup: files a failed case may have left from an earlier run, deleted so that no
            stale image stands beside its failure record.
    """
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {ON_ERROR}, not {on_error!r}")
    upstream = upstream or {}
    results: dict[str, dict] = {}
    for i, case in enumerate(cases, start=1):
        if case in upstream:
            results[case] = {"status": "failed", "reason": f"not run: failed in {upstream[case]}"}
        else:
            try:
                files = run_one(case)
                files, qc = files if isinstance(files, tuple) else (files, {})
            except NoRoi as exc:  # an expected outcome (an ROI lost on the grid): excluded whatever on_error says
                log.warning("%s: excluding %s", stage, exc)
                results[case] = {"status": "excluded", "reason": str(exc)}
            except CaseError as exc:
                if on_error != "skip":
                    raise CaseError(exc.case_id or case, exc.path, f"{exc.problem}; {skip_hint(stage)}") from exc
                log.warning("%s: skipping %s", stage, exc)
                results[case] = {"status": "failed", "reason": str(exc)}
            except Exception as exc:  # not a known input problem: still say which case it was
                exc.add_note(f"while running {stage} on case {case}")
                raise
            else:
                results[case] = {"status": "ok", "sha256": {k: sha256_file(p) for k, p in sorted(files.items())},
                                 **({"qc": qc} if qc else {})}
        if results[case]["status"] != "ok" and cleanup is not None:
            for path in cleanup(case):
                Path(path).unlink(missing_ok=True)
        log.info("%s: case %s %s (%d of %d)", stage, case, results[case]["status"], i, len(cases))
    record = {"stage": stage, "cases": results}
    write_json(record, out_record)
    return record


def write_outputs_record(stage: str, outputs: dict[str, str | Path], out_record: str | Path) -> dict[str, Any]:
    """For a batch stage that writes one file per case itself (radiomics): the job's one declared
    output, ``{"stage", "outputs": {case: {"path", "sha256"}}}``, which changes exactly when a
    case's file does. The per-case files keep their own ``status``; readers take the paths from
    :func:`output_paths`."""
    record = {"stage": stage, "outputs": {case: {"path": str(path), "sha256": sha256_file(path)}
                                          for case, path in outputs.items()}}
    write_json(record, out_record)
    return record


def output_paths(record_paths: Iterable[str | Path], cases: Sequence[str] | None = None) -> list[str]:
    """The per-case files that :func:`write_outputs_record` records list, in ``cases`` order
    (default: the records' order); a case no record lists is an error naming it."""
    found = {case: entry["path"] for rec in read_records(record_paths) for case, entry in rec["outputs"].items()}
    missing = [c for c in (cases or []) if c not in found]
    if missing:
        raise KeyError(f"no batch record lists the output of case(s) {', '.join(missing[:5])}")
    return [found[c] for c in cases] if cases is not None else list(found.values())


def read_records(paths: Iterable[str | Path]) -> list[dict]:
    return [read_json(p) for p in paths]


def failed_cases(records: Iterable[dict]) -> dict[str, str]:
    """``{case: "<stage>: <reason>"}`` of every case some batch record lists as failed."""
    out = {}
    for rec in records:
        for case, entry in rec["cases"].items():
            if entry["status"] != "ok":
                reason = entry.get("reason", "")
                out[case] = reason.removeprefix("not run: failed in ") if reason.startswith("not run: ") else f"{rec['stage']}: {reason}"
    return out


def qc_rows(records: Iterable[dict]) -> list[dict]:
    """One QC row per case: ``case_id, stage, status, reason``, then the case's recorded ``qc`` fields."""
    return [{"case_id": case, "stage": rec["stage"], "status": entry["status"], "reason": entry.get("reason", ""),
             **entry.get("qc", {})} for rec in records for case, entry in rec["cases"].items()]


def _cell(value):
    return " x ".join(str(x) for x in value) if isinstance(value, list) else value


def write_qc_table(record_paths: Iterable[str | Path], out: str | Path,
                   detail: Callable[[str], dict] | None = None, first: Sequence[str] = ()) -> pd.DataFrame:
    """The stage's QC table: one row per case (``case_id, stage, status, reason``), then for an
    ``ok`` case the fields ``detail(case)`` returns (lists as ``a x b`` text), ``first`` of them
    leading; the excluded-cases table lists every row whose status is not ``ok``."""
    rows = []
    for row in qc_rows(read_records(record_paths)):
        extra = detail(row["case_id"]) if detail is not None and row["status"] == "ok" else {}
        rows.append({**{k: _cell(v) for k, v in extra.items()}, **{k: _cell(v) for k, v in row.items()}})
    import pandas as pd

    df = pd.DataFrame(rows, columns=None if rows else ["case_id", "stage", "status", "reason"])
    lead = ["case_id", "stage", "status", "reason", *[c for c in first if c in df.columns]]
    df = df[lead + sorted(c for c in df.columns if c not in lead)].sort_values("case_id", ignore_index=True)
    write_table(df, out)
    return df


def skip_failed_upstream(cases: Sequence[str], outputs: Sequence[str | Path], record_paths: Iterable[str | Path],
                         **fields: Any) -> list[int]:
    """For a stage that writes one JSON record per case (radiomics, embed): write a ``skipped``
    record (``reason``: the earlier stage's, and ``fields``) to ``outputs[i]`` for each case
    that failed upstream; return the indices of the cases still to run."""
    failed = failed_cases(read_records(record_paths))
    todo = []
    for i, (case, out) in enumerate(zip(cases, outputs, strict=True)):
        if case in failed:
            write_json({"case_id": case, "status": "skipped", "reason": f"not run: failed in {failed[case]}", **fields}, out)
        else:
            todo.append(i)
    return todo
