"""Provenance: what produced a run (config, code, libraries, seeds, device, inputs).

``results/provenance.json`` is written before any table. Its ``provenance_sha256`` (a hash of
the record without its creation time) is stored in every feature table and model output: in
a Parquet file's schema metadata (``radiodeep.provenance``), beside any other file in a
``<file>.meta.json`` sidecar (see :func:`radiodeep.io.write_table`). A table therefore names the
exact configuration, code and inputs that produced it.

Example:
    >>> h = config_hash({"seed": 42, "model": {"folds": 5}})
    >>> h == config_hash({"model": {"folds": 5}, "seed": 42})
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pandas as pd

from radiodeep import __version__
from radiodeep.io import read_json, sha256_file, write_json

KEY_PACKAGES = ("pyradiomics-bhklab", "SimpleITK", "torch", "monai", "scikit-learn", "xgboost-cpu",
                "xgboost", "pandas", "numpy", "scipy", "pyarrow", "snakemake", "pydicom", "highdicom")
# Fields that change from one identical run to the next; left out of the provenance hash.
VOLATILE = ("created_utc", "host")
METADATA_KEY = "radiodeep.provenance"


def canonical_hash(obj: Any) -> str:
    """SHA-256 of ``obj`` as canonical JSON (sorted keys, so key order does not matter)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def config_hash(config: Mapping) -> str:
    """SHA-256 of the config as canonical JSON (key order does not matter)."""
    return canonical_hash(dict(config))


def package_versions() -> dict[str, str]:
    """Installed versions of the libraries that decide the numbers (missing ones left out)."""
    out = {}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def git_commit(repo: str | Path) -> dict[str, Any]:
    """HEAD commit of ``repo`` and whether its tracked files differ from it ("unknown" outside git)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()
    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}


def iter_seeds(config: Mapping, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every config key named ``seed`` or ending in ``_seed``, at any depth, as (dotted key, value)."""
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from iter_seeds(value, f"{name}.")
        elif key == "seed" or str(key).endswith("_seed"):
            yield name, value


def uses_torch(config: Mapping) -> bool:
    """Whether a run with ``config`` trains or runs a network: the U-Net (``segment.enabled``)
    or deep features in a model's feature sets (``deep``, or fusion with a ``deep`` source)."""
    model = config.get("model") or {}
    sets = set(model.get("feature_sets") or [])
    fused = bool(sets & {"early_fusion", "late_fusion"}) and "deep" in (model.get("fusion_sources") or [])
    return bool((config.get("segment") or {}).get("enabled", True)) or "deep" in sets or fused


def device_info(torch_used: bool = True) -> dict[str, Any]:
    """The compute device: CPU always; CUDA name and torch settings when torch is installed and
    the run uses it (importing torch costs ~2 s of CPU: a radiomics-only run skips it)."""
    info: dict[str, Any] = {"platform": platform.platform(), "machine": platform.machine(),
                            "cpu_count": os.cpu_count(), "device": "cpu"}
    if not torch_used:
        info["torch"] = "not used by this run"
    elif find_spec("torch") is not None:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        info["cuda_available"] = torch.cuda.is_available()
        if info["cuda_available"]:
            info["device"] = "cuda"
            info["cuda_device"] = torch.cuda.get_device_name(0)
    return info


def input_hashes(manifest: pd.DataFrame) -> dict[str, dict[str, str]]:
    """SHA-256 of every case's image and mask (a DICOM folder hashes all of its files); a path
    that goes through a symbolic link also gets ``<column>_resolved``, the file actually read."""
    inputs = {}
    for row in manifest.itertuples(index=False):
        mask = getattr(row, "mask", "")
        mask = mask if isinstance(mask, str) else ""
        inputs[row.case_id] = {
            "image_sha256": sha256_file(row.image),
            "mask_sha256": sha256_file(mask) if mask else "",
            **resolved_links({"image": row.image, "mask": mask}),
        }
    return inputs


def resolved_links(paths: Mapping[str, str]) -> dict[str, str]:
    """``<name>_resolved``: the real path of each path that a symbolic link redirects."""
    out = {}
    for name, value in paths.items():
        if value and Path(value).resolve() != Path(os.path.abspath(value)):
            out[f"{name}_resolved"] = str(Path(value).resolve())
    return out


def build_provenance(config: Mapping, manifest: pd.DataFrame, repo: str | Path,
                     manifest_path: str | Path | None = None, torch_used: bool | None = None) -> dict:
    """Config and its hash, versions, git commit, seeds, device and a hash of every input image and mask.

    ``torch_used``: whether the run trains or runs a network (the workflow knows it from its
    rules); None: judged from ``config`` by :func:`uses_torch`.

    ``provenance_sha256`` hashes everything but the creation time and host, so two runs of the
    same config, code, libraries and inputs share it.
    """
    record = {
        "radiodeep_version": __version__,
        "git": git_commit(repo),
        "config": dict(config),
        "config_sha256": config_hash(config),
        "seeds": {**dict(iter_seeds(config)), "PYTHONHASHSEED": os.environ.get("PYTHONHASHSEED", "")},
        "python": platform.python_version(),
        "packages": package_versions(),
        "device": device_info(uses_torch(config) if torch_used is None else torch_used),
        "manifest_sha256": sha256_file(manifest_path) if manifest_path else "",
        **resolved_links({"manifest": str(manifest_path) if manifest_path else ""}),
        "inputs": input_hashes(manifest),
    }
    record["provenance_sha256"] = canonical_hash(record)
    record["created_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record["host"] = platform.node()
    return record


def write_provenance(config: Mapping, manifest: pd.DataFrame, repo: str | Path, out: str | Path,
                     manifest_path: str | Path | None = None, torch_used: bool | None = None) -> dict:
    """Build the provenance record and write it as JSON, atomically."""
    prov = build_provenance(config, manifest, repo, manifest_path, torch_used)
    write_json(prov, out)
    return prov


def provenance_hash(path: str | Path) -> str:
    """The ``provenance_sha256`` of a provenance.json, checked against its content."""
    record = read_json(path)
    stored = record.get("provenance_sha256", "")
    body = {k: v for k, v in record.items() if k not in (*VOLATILE, "provenance_sha256")}
    if canonical_hash(body) != stored:
        from radiodeep.errors import RadiodeepError

        raise RadiodeepError(f"{path}: provenance_sha256 does not match the record (file edited?)")
    return stored


def flatten(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, leaf value) pairs of nested dicts; lists are kept as JSON text."""
    if isinstance(obj, Mapping) and obj:
        for key in sorted(obj):
            yield from flatten(obj[key], f"{prefix}{key}.")
    else:
        yield prefix.rstrip("."), json.dumps(obj) if isinstance(obj, list | Mapping) else obj


def provenance_table(record: Mapping) -> pd.DataFrame:
    """The provenance record as a two-column ``field, value`` table, most useful fields first."""
    first = ["provenance_sha256", "created_utc", "radiodeep_version", "git.commit", "git.dirty",
             "config_sha256", "manifest_sha256", "python"]
    rows = dict(flatten(record))
    order = [k for k in first if k in rows] + [k for k in rows if k not in first]
    return pd.DataFrame({"field": order, "value": ["" if rows[k] is None else str(rows[k]) for k in order]})
