"""The embedding networks: radiodeep's own U-Net encoder, a MONAI 3D ResNet with user weights
(FMCIB preset), and the same ResNet with seeded random weights (a negative control).

Each is a :class:`Backbone`: a network in eval mode plus what its input must look like
(crop size, spacing, intensity window) and a function returning feature maps by level name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from radiodeep.embed.crop import intensity_window
from radiodeep.embed.weights import check_weights_path, load_weights
from radiodeep.errors import RadiodeepError
from radiodeep.io import sha256_file

log = logging.getLogger(__name__)

BACKBONES = ("unet-encoder", "resnet", "random")
RESNET_DEPTHS = (10, 18, 34, 50, 101, 152, 200)
# FMCIB (Pai et al. 2024, AIM-Harvard/foundation-cancer-image-biomarker): MONAI resnet50 trunk with
# widen_factor 2, conv1_t_stride 2, no head -> 4096-d; 50 mm crop at 1 mm; HU -1024..3072 -> 0..1.
PRESETS = {
    "fmcib": {
        "resnet": {"depth": 50, "widen_factor": 2.0, "conv1_t_stride": 2},
        "crop_mm": 50.0, "spacing": 1.0, "levels": ["layer4"],
        "intensity": {"clip": [-1024.0, 3072.0], "shift": -1024.0, "scale": 1.0 / 4096.0},
    },
}
DEFAULT_CROP_MM = 128.0


@dataclass
class Backbone:
    """A network ready for embedding, with the input it expects.

    Attributes:
        name: image-type tag of its feature columns (``deep-<name>_<level>_f0000``).
        network: torch module in eval mode.
        encode: ``encode(network, x)`` -> {level: feature map (N, C, z, y, x)}, for ``levels``.
        levels: level names, shallow to deep.
        crop_mm, spacing: crop edge and voxel size (mm); intensity: ``{clip, shift, scale}``.
        weights_sha256: SHA-256 of the weights file (``random-seed-<seed>`` for random weights).
    """

    name: str
    network: object
    encode: Callable
    levels: list[str]
    crop_mm: float | list[float]
    spacing: float | list[float]
    intensity: dict
    weights_sha256: str
    info: dict = field(default_factory=dict)

    def features(self, x):
        return self.encode(self.network, x)


# --- the U-Net encoder --------------------------------------------------------------------


def unet_encoder(net, x, levels: list[str] | None = None) -> dict:
    """Run the encoder path of a MONAI ``UNet`` or ``DynUNet``; return {``enc1``..: feature map}.

    MONAI's UNet nests ``Sequential(down, SkipConnection(Sequential(down, ..., up)), up)``; the
    down blocks, outermost first, and the innermost bottom block are the encoder levels.
    """
    from monai.networks.layers import SkipConnection
    from monai.networks.nets import DynUNet, UNet
    from torch import nn

    out = {}
    if isinstance(net, UNet):
        node, i = net.model, 1
        while True:
            x = node[0](x)
            out[f"enc{i}"] = x
            sub = node[1].submodule
            i += 1
            if isinstance(sub, nn.Sequential) and len(sub) == 3 and isinstance(sub[1], SkipConnection):
                node = sub
                continue
            out[f"enc{i}"] = sub(x)
            break
    elif isinstance(net, DynUNet):
        x = net.input_block(x)
        out["enc1"] = x
        for i, block in enumerate(net.downsamples, start=2):
            x = block(x)
            out[f"enc{i}"] = x
        out[f"enc{len(net.downsamples) + 2}"] = net.bottleneck(x)
    else:
        raise RadiodeepError(f"unet-encoder needs a MONAI UNet or DynUNet, not {type(net).__name__}")
    return {k: v for k, v in out.items() if levels is None or k in levels}


def unet_levels(architecture: dict) -> list[str]:
    """Encoder level names of an architecture dict (as in ``model.json``)."""
    n = len(architecture.get("channels") or architecture.get("strides") or [])
    if architecture.get("name", "UNet") == "DynUNet":
        n = len(architecture["strides"])
    return [f"enc{i}" for i in range(1, n + 1)]


def _unet_backbone(settings: dict, modality: str) -> Backbone:
    from radiodeep.segment.checkpoint import load_checkpoint

    ckpt = Path(settings["checkpoint"])
    if not ckpt.is_file():
        raise RadiodeepError(f"U-Net checkpoint {ckpt} not found (embed.checkpoint); train it first (rule train_segmenter)")
    net, meta = load_checkpoint(ckpt, ckpt.with_suffix(".json"))
    available = unet_levels(meta["architecture"])
    levels = _pick_levels(settings.get("levels"), available, available)
    return Backbone(
        name="unet", network=net, levels=levels,
        encode=lambda n, x: unet_encoder(n, x, levels),
        crop_mm=settings.get("crop_mm") or DEFAULT_CROP_MM,
        spacing=settings.get("spacing") or meta.get("spacing") or settings["fallback_spacing"],
        intensity=settings.get("intensity") or meta.get("intensity") or intensity_window(modality),
        weights_sha256=sha256_file(ckpt), info={"architecture": meta["architecture"], "checkpoint": str(ckpt)},
    )


# --- MONAI 3D ResNet ------------------------------------------------------------------------


def build_resnet(depth: int = 50, widen_factor: float = 1.0, conv1_t_stride: int = 1):
    """A MONAI 3D ResNet with one input channel and no classification head.

    Example:
        >>> build_resnet(10, 0.25).layer4[0].conv1.out_channels
        128
    """
    from monai.networks import nets

    if depth not in RESNET_DEPTHS:
        raise RadiodeepError(f"embed.resnet.depth must be one of {RESNET_DEPTHS}, not {depth}")
    factory = getattr(nets, f"resnet{depth}")
    return factory(pretrained=False, spatial_dims=3, n_input_channels=1, widen_factor=widen_factor,
                   conv1_t_stride=conv1_t_stride, feed_forward=False, bias_downsample=True)


def resnet_encoder(net, x, levels: list[str]) -> dict:
    """Feature maps of a MONAI ResNet after ``layer1``..``layer4`` (those in ``levels``)."""
    x = net.act(net.bn1(net.conv1(x)))
    if not net.no_max_pool:
        x = net.maxpool(x)
    out = {}
    for name in ("layer1", "layer2", "layer3", "layer4"):
        x = getattr(net, name)(x)
        if name in levels:
            out[name] = x
        if name == levels[-1]:
            break
    return out


def _pick_levels(requested, available: list[str], default: list[str]) -> list[str]:
    if not requested:
        return list(default)
    bad = [lv for lv in requested if lv not in available]
    if bad:
        raise RadiodeepError(f"embed.levels {bad} not available for this backbone; choose from {available}")
    return [lv for lv in available if lv in requested]


def _resnet_backbone(settings: dict, modality: str, seed: int, random_weights: bool) -> Backbone:
    import torch

    preset = PRESETS.get(settings.get("preset") or "", {})
    if settings.get("preset") and not preset:
        raise RadiodeepError(f"unknown embed.preset {settings['preset']!r}; known: {sorted(PRESETS)}")
    weights = None if random_weights else check_weights_path(settings.get("weights"))  # before any work
    arch = {**{"depth": 50, "widen_factor": 1.0, "conv1_t_stride": 1}, **(settings.get("resnet") or {}), **preset.get("resnet", {})}
    if random_weights:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = build_resnet(**arch)
        digest = f"random-seed-{seed}"
    else:
        net = build_resnet(**arch)
        load_weights(net, weights)
        digest = sha256_file(weights)
    available = ["layer1", "layer2", "layer3", "layer4"]
    levels = _pick_levels(settings.get("levels"), available, preset.get("levels", ["layer4"]))
    tag = settings.get("preset") or f"resnet{arch['depth']}"
    return Backbone(
        name=f"random-{tag}" if random_weights else tag, network=net.eval(), levels=levels,
        encode=lambda n, x: resnet_encoder(n, x, levels),
        crop_mm=settings.get("crop_mm") or preset.get("crop_mm") or DEFAULT_CROP_MM,
        spacing=settings.get("spacing") or preset.get("spacing") or settings["fallback_spacing"],
        intensity=settings.get("intensity") or preset.get("intensity") or intensity_window(modality),
        weights_sha256=digest, info={"architecture": {"name": "ResNet", **arch}, "weights": str(weights or "")},
    )


def build_backbone(settings: dict, modality: str = "PET", seed: int = 42) -> Backbone:
    """Build the backbone named by ``settings['backbone']`` (the config's ``embed`` section).

    Missing files (checkpoint, weights) are reported before any network is built.
    ``settings['fallback_spacing']`` is the spacing used when neither the config nor the
    backbone fixes one (the workflow passes ``preprocess.spacing``).
    """
    settings = {"fallback_spacing": 4.0, **settings}
    kind = settings.get("backbone", "unet-encoder")
    if kind == "unet-encoder":
        backbone = _unet_backbone(settings, modality)
    elif kind in ("resnet", "random"):
        backbone = _resnet_backbone(settings, modality, seed, random_weights=kind == "random")
    else:
        raise RadiodeepError(f"unknown embed.backbone {kind!r}; choose from {BACKBONES}")
    log.info("backbone %s: levels %s, crop %s mm at %s mm, intensity %s, weights sha256 %s", backbone.name,
             backbone.levels, backbone.crop_mm, backbone.spacing, backbone.intensity, backbone.weights_sha256)
    return backbone
