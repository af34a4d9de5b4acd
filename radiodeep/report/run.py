"""The run a report describes: read from the run's own ``results/provenance.json``, never from the
configuration of the command that builds the report.

``snakemake --report`` parses the workflow with the configuration of *its* command line; a report
built without repeating the run's ``--config``/``--configfile`` would caption CT results with the
demo's PET manifest. :func:`check_report_config` refuses that case with one line naming the
settings that differ and the fix.

Example:
    >>> config_differences({"seed": 1, "model": {"folds": 5}}, {"seed": 2, "model": {"folds": 5}})
    [('seed', 2, 1)]
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from radiodeep.errors import RadiodeepError
from radiodeep.io import read_json
from radiodeep.provenance import config_hash, flatten, provenance_hash

FIRST = ("manifest", "modality", "label", "seed")


def read_run(provenance_json: str | Path) -> dict:
    """The provenance record of a run, its ``provenance_sha256`` checked against its content."""
    path = Path(provenance_json)
    if not path.is_file():
        raise RadiodeepError(f"{path}: no provenance record; run the workflow first (snakemake --cores N), "
                             "then build the report")
    provenance_hash(path)  # raises when the record was edited
    return read_json(path)


def config_differences(recorded: Mapping, current: Mapping) -> list[tuple[str, Any, Any]]:
    """(dotted key, value now, value in the run) for every setting that differs: the cohort's
    settings first (manifest, modality, label, seed), then by key."""
    run, now = dict(flatten(recorded)), dict(flatten(current))
    keys = sorted(set(run) | set(now), key=lambda k: (k not in FIRST, FIRST.index(k) if k in FIRST else 0, k))
    return [(key, now.get(key), run.get(key)) for key in keys if run.get(key) != now.get(key)]


def check_report_config(config: Mapping, provenance_json: str | Path, shown: int = 4) -> dict:
    """Refuse to report when ``config`` is not the configuration that made the results.

    Returns:
        The run's provenance record when its ``config_sha256`` equals the hash of ``config``.

    Raises:
        RadiodeepError: one line naming the record, up to ``shown`` differing settings (value in
            the run, value now) and the fix.
    """
    record = read_run(provenance_json)
    if record.get("config_sha256") == config_hash(config):
        return record
    diffs = config_differences(record.get("config", {}), config)
    listed = "; ".join(f"{key}: {run!r} in the run, {now!r} now" for key, now, run in diffs[:shown])
    more = f" and {len(diffs) - shown} more" if len(diffs) > shown else ""
    raise RadiodeepError(
        f"{provenance_json}: the results were made with another configuration ({listed}{more}); "
        "build the report with the run's own options (the same --configfile/--config as the run), "
        "or rerun the workflow with these")


def run_description(record: Mapping) -> dict[str, Any]:
    """The facts a reader needs about the run, from its provenance record."""
    config = record.get("config", {})
    git = record.get("git", {})
    return {
        "manifest": config.get("manifest", ""),
        "modality": config.get("modality", ""),
        "label": config.get("label", "label"),
        "seed": config.get("seed", ""),
        "provenance_sha256": record.get("provenance_sha256", ""),
        "config_sha256": record.get("config_sha256", ""),
        "manifest_sha256": record.get("manifest_sha256", ""),
        "created_utc": record.get("created_utc", ""),
        "radiodeep_version": record.get("radiodeep_version", ""),
        "git_commit": git.get("commit", ""),
        "git_dirty": git.get("dirty"),
        "device": record.get("device", {}).get("device", ""),
    }
