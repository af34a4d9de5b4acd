"""Handcrafted radiomic features with pyradiomics, from presets shipped in the package."""

from radiodeep.radiomics.presets import load_preset, preset_hash

__all__ = ["extract_case", "load_preset", "preset_hash", "run_batch", "run_case"]


def __getattr__(name: str):
    # extraction imports SimpleITK and pyradiomics: not needed to parse the workflow (presets only)
    if name in ("extract_case", "run_batch", "run_case"):
        from radiodeep.radiomics import extract

        return getattr(extract, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
