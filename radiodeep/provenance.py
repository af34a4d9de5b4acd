"""Provenance: what produced a run (config, code, libraries, seeds, inputs)."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from radiodeep import __version__
from radiodeep.io import sha256_file, write_json

KEY_PACKAGES = ("pyradiomics-bhklab", "SimpleITK", "torch", "monai", "scikit-learn", "xgboost-cpu", "xgboost",
                "pandas", "numpy", "scipy", "snakemake", "pydicom", "highdicom")


def config_hash(config: dict) -> str:
    """SHA-256 of the config as canonical JSON (key order does not matter)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def package_versions() -> dict[str, str]:
    out = {}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def git_commit(repo: str | Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build_provenance(config: dict, manifest: pd.DataFrame, repo: str | Path) -> dict:
    """Config and its hash, versions, git commit, seeds and a hash of every input image and mask."""
    inputs = {}
    for row in manifest.itertuples(index=False):
        inputs[row.case_id] = {
            "image_sha256": sha256_file(row.image),
            "mask_sha256": sha256_file(row.mask) if getattr(row, "mask", "") else "",
        }
    return {
        "radiodeep_version": __version__,
        "git_commit": git_commit(repo),
        "config": config,
        "config_sha256": config_hash(config),
        "seed": config.get("seed"),
        "python": platform.python_version(),
        "packages": package_versions(),
        "inputs": inputs,
    }


def write_provenance(config: dict, manifest: pd.DataFrame, repo: str | Path, out: str | Path) -> dict:
    prov = build_provenance(config, manifest, repo)
    write_json(prov, out)
    return prov
