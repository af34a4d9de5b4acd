"""Handcrafted radiomic features with pyradiomics, from presets shipped in the package."""

from radiodeep.radiomics.extract import extract_case, run_case
from radiodeep.radiomics.presets import load_preset, preset_hash

__all__ = ["extract_case", "load_preset", "preset_hash", "run_case"]
