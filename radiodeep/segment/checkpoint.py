"""The segmentation checkpoint contract: ``model.pt`` (state dict) + ``model.json`` (everything else).

``model.json`` holds ``architecture`` (the keyword arguments of ``build_network``), and the
preprocessing the network expects (``spacing``, ``patch_size``, ``intensity``, ``modality``,
``label_map``), training case hashes and library versions. The embedding stage rebuilds the
network from the same file, so both stages read checkpoints only through this module.
"""

from __future__ import annotations

import json
from pathlib import Path

from radiodeep.errors import RadiodeepError
from radiodeep.io import atomic_path, write_json


def build_network(architecture: dict):
    """Build a MONAI network from ``architecture`` = {"name": "UNet"|"DynUNet", **kwargs}.

    Example:
        >>> net = build_network({"name": "UNet", "spatial_dims": 3, "in_channels": 1, "out_channels": 2,
        ...                      "channels": [8, 16], "strides": [2]})
        >>> type(net).__name__
        'UNet'
    """
    from monai.networks.nets import DynUNet, UNet

    arch = dict(architecture)
    name = arch.pop("name", "UNet")
    if name == "UNet":
        return UNet(**arch)
    if name == "DynUNet":
        return DynUNet(**arch)
    raise RadiodeepError(f"unknown segmentation architecture {name!r}; use UNet or DynUNet")


def save_checkpoint(model, meta: dict, out_pt: str | Path, out_json: str | Path | None = None) -> None:
    """Write the state dict to ``out_pt`` and ``meta`` (must hold ``architecture``) beside it."""
    import torch

    if "architecture" not in meta:
        raise ValueError("checkpoint metadata needs an 'architecture' entry")
    out_json = Path(out_json) if out_json else Path(out_pt).with_suffix(".json")
    with atomic_path(out_pt) as tmp:
        torch.save(model.state_dict(), tmp)
    write_json(meta, out_json)


def load_checkpoint(pt_path: str | Path, json_path: str | Path | None = None, device: str = "cpu"):
    """Return (network in eval mode, metadata). Errors name the file and what is wrong."""
    import torch

    pt_path = Path(pt_path)
    json_path = Path(json_path) if json_path else pt_path.with_suffix(".json")
    for p in (pt_path, json_path):
        if not p.is_file():
            raise RadiodeepError(f"checkpoint file {p} not found")
    try:
        meta = json.loads(json_path.read_text())
    except json.JSONDecodeError as exc:
        raise RadiodeepError(f"checkpoint metadata {json_path} is not valid JSON: {exc}") from exc
    if "architecture" not in meta:
        raise RadiodeepError(f"checkpoint metadata {json_path} has no 'architecture' entry")
    net = build_network(meta["architecture"])
    try:
        state = torch.load(pt_path, map_location=device, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a corrupt file
        raise RadiodeepError(f"checkpoint {pt_path} cannot be read ({type(exc).__name__}: {exc}); is it a torch state dict?") from exc
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        raise RadiodeepError(f"checkpoint {pt_path} does not match the architecture in {json_path}: {exc}") from exc
    return net.to(device).eval(), meta
