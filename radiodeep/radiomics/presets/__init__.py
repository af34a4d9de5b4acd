"""Parameter presets (pyradiomics' parameter-file shape) shipped as package data."""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources
from pathlib import Path

import yaml


def available_presets() -> list[str]:
    """Names of the presets shipped with radiodeep (file stems)."""
    folder = resources.files("radiodeep.radiomics.presets")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_preset(name_or_path: str | Path, overrides: dict | None = None) -> dict:
    """Load a shipped preset by name (``PET``, ``CT``, ``MR``...) or a parameter file by path.

    ``overrides`` are merged into ``setting`` (e.g. ``{"binWidth": 0.5}``); ``imageType`` and
    ``featureClass`` keys in ``overrides`` replace those sections.
    """
    path = Path(str(name_or_path))
    if path.suffix in (".yaml", ".yml") and path.is_file():
        params = yaml.safe_load(path.read_text())
    else:
        if str(name_or_path) not in available_presets():
            raise ValueError(f"unknown radiomics preset {name_or_path!r}; shipped: {', '.join(available_presets())} (or a path to a .yaml file)")
        text = resources.files("radiodeep.radiomics.presets").joinpath(f"{name_or_path}.yaml").read_text()
        params = yaml.safe_load(text)
    params = copy.deepcopy(params)
    params.setdefault("setting", {})
    if params.get("ibsi_filters"):  # checked here, so a bad entry stops the workflow at parse time
        from radiodeep.radiomics.filters import filter_settings

        for entry in params["ibsi_filters"]:
            try:
                filter_settings(entry)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"radiomics preset {name_or_path}: {exc}") from exc
    for key, value in (overrides or {}).items():
        if key in ("imageType", "featureClass"):
            params[key] = value
        else:
            params["setting"][key] = value
    return params


def preset_hash(params: dict) -> str:
    """Short SHA-256 of a parameter dictionary (key order does not matter)."""
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


def pyradiomics_sections(params: dict) -> dict:
    """The parameters pyradiomics reads (``imageType``, ``featureClass``, ``setting``,
    ``voxelSetting``), without radiodeep's ``ibsi`` and ``ibsi_filters`` sections."""
    return {k: v for k, v in params.items() if k not in ("ibsi", "ibsi_filters")}


def params_from_config(radiomics: dict, modality: str) -> dict:
    """pyradiomics parameters from the workflow config's ``radiomics`` section: the preset (or the
    modality's), its ``settings`` overrides and, if given, ``image_types`` replacing ``imageType``
    (e.g. ``{"Original": {}, "LoG": {"sigma": [1.0, 3.0]}, "Wavelet": {}}``).

    Example:
        >>> params_from_config({"preset": None, "settings": {"force2D": True}, "image_types": None}, "CT")["setting"]["force2D"]
        True
    """
    overrides = dict(radiomics.get("settings") or {})
    if radiomics.get("image_types"):
        overrides["imageType"] = radiomics["image_types"]
    return load_preset(radiomics.get("preset") or modality, overrides)


def discretisation_is_set(radiomics: dict, modality: str) -> bool:
    """True when the user chose the grey-level discretisation: ``binWidth``/``binCount`` in
    ``radiomics.settings``, a preset named in the config (a shipped one, e.g. ``IBSI_C``, or their
    own file), or a modality preset that uses ``binCount``; only then is it not planned."""
    settings = radiomics.get("settings") or {}
    if "binWidth" in settings or "binCount" in settings or radiomics.get("preset"):
        return True
    return "binCount" in load_preset(modality).get("setting", {})
