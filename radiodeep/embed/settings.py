"""The ``embed`` settings the workflow reads while it parses: checked before any job runs, and
the network files the embed rule needs. Light on purpose (no torch, no SimpleITK): every
Snakemake call imports it."""

from __future__ import annotations

from pathlib import Path

from radiodeep.errors import RadiodeepError

DEFAULT_CHECKPOINT = "results/segmentation/model.pt"  # the schema's embed.checkpoint default


def embed_settings(config: dict) -> dict:
    """The ``embed`` section of a validated study config, checked before any job runs.

    Adds ``fallback_spacing`` (``preprocess.spacing``, else 4 mm): the crop spacing when neither
    ``embed.spacing`` nor the backbone fixes one.
    """
    settings = dict(config.get("embed") or {})
    spacing = (config.get("preprocess") or {}).get("spacing")
    # "auto": the embed script reads the planned grid from results/plan.json
    settings["fallback_spacing"] = spacing if isinstance(spacing, list) else 4.0
    if settings.get("backbone") == "resnet" and not settings.get("weights"):
        raise RadiodeepError("embed.backbone is 'resnet' but embed.weights is not set: name a local weights file "
                             "(radiodeep never downloads weights), or use backbone 'random' for random weights")
    return settings


def embed_network_files(settings: dict) -> dict[str, str]:
    """The files the backbone reads: U-Net checkpoint and its JSON, ResNet weights, or none (random).

    Example:
        >>> embed_network_files({"backbone": "random"})
        {}
    """
    if settings.get("backbone", "unet-encoder") == "unet-encoder":
        ckpt = Path(settings.get("checkpoint") or DEFAULT_CHECKPOINT)
        return {"checkpoint": str(ckpt), "checkpoint_meta": str(ckpt.with_suffix(".json"))}
    if settings["backbone"] == "resnet":
        return {"weights": str(settings["weights"])}
    return {}


def image_embed_settings(settings: dict, checkpoint: str) -> dict:
    """One image's ``embed`` settings when a case has several images: the unet-encoder backbone
    reads that image's U-Net ``checkpoint`` unless ``embed.checkpoint`` names another file than
    the default (then every image uses that one).

    Example:
        >>> image_embed_settings({"backbone": "unet-encoder", "checkpoint": DEFAULT_CHECKPOINT},
        ...                      "results/segmentation/PET/model.pt")["checkpoint"]
        'results/segmentation/PET/model.pt'
    """
    if settings.get("backbone", "unet-encoder") != "unet-encoder":
        return dict(settings)
    own = settings.get("checkpoint") or DEFAULT_CHECKPOINT
    return {**settings, "checkpoint": checkpoint if own == DEFAULT_CHECKPOINT else own}
