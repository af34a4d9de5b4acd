"""Deep features: CNN embeddings of a crop around each ROI (U-Net encoder, MONAI ResNet, random).

The names below load their modules (torch, MONAI, SimpleITK) on first use, so that
``radiodeep.embed.settings`` stays light for the workflow's parse.
"""

from importlib import import_module

_WHERE = {
    "Backbone": "backbones", "build_backbone": "backbones", "build_resnet": "backbones", "unet_encoder": "backbones",
    "crop_roi": "crop", "roi_centre": "crop",
    "CaseInput": "extract", "embed_cases": "extract", "pool": "extract",
    "build_deep_tables": "stage", "run_embedding": "stage",
    "load_weights": "weights",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"radiodeep.embed.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
