"""Loading a user's weights file into a network: strict, with errors that name the keys.

Accepted files: a plain state dict, or a checkpoint dict holding one under ``state_dict``,
``trunk_state_dict`` (FMCIB/VISSL), ``model_state_dict`` or ``model``. Wrapper prefixes that
training frameworks add (``module.``, ``trunk.``, ``model.``, ``backbone.``, ...) are stripped.
"""

from __future__ import annotations

import logging
from pathlib import Path

from radiodeep.errors import RadiodeepError

log = logging.getLogger(__name__)

STATE_DICT_KEYS = ("state_dict", "trunk_state_dict", "model_state_dict", "model")
PREFIXES = ("module.", "model.trunk.", "model.backbone.", "trunk.", "backbone.", "model.", "encoder.")
# A classification head (``fc.*``) is not part of an embedding network built without one.
HEAD_PREFIXES = ("fc.",)


def check_weights_path(path: str | Path | None) -> Path:
    """Return ``path`` as a Path, or raise naming it when it is not given or not a file."""
    if not path:
        raise RadiodeepError("a weights file is needed for this backbone: set embed.weights to a local file")
    p = Path(path)
    if not p.is_file():
        raise RadiodeepError(f"weights file {p} not found (embed.weights); radiodeep never downloads weights")
    return p


def _unwrap(obj, path: Path) -> dict:
    if not isinstance(obj, dict):
        raise RadiodeepError(f"weights file {path} holds a {type(obj).__name__}, not a state dict or checkpoint dict")
    for key in STATE_DICT_KEYS:
        if key in obj and isinstance(obj[key], dict):
            return obj[key]
    return obj


def strip_prefixes(state: dict) -> dict:
    """Remove wrapper prefixes while every key carries the same one.

    Example:
        >>> list(strip_prefixes({"module.trunk.conv1.weight": 0, "module.trunk.bn1.bias": 1}))
        ['conv1.weight', 'bn1.bias']
    """
    changed = True
    while changed and state:
        changed = False
        for prefix in PREFIXES:
            if all(k.startswith(prefix) for k in state):
                state = {k[len(prefix):]: v for k, v in state.items()}
                changed = True
                break
    return state


def _listing(keys, limit: int = 12) -> str:
    keys = sorted(keys)
    more = f" (+{len(keys) - limit} more)" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more


def load_weights(network, path: str | Path) -> None:
    """Load ``path`` into ``network`` strictly; raise naming missing, unexpected or mis-shaped keys."""
    import torch

    path = check_weights_path(path)
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad file
        raise RadiodeepError(f"weights file {path} cannot be read ({type(exc).__name__}: {exc})") from exc
    state = strip_prefixes({str(k): v for k, v in _unwrap(obj, path).items()})
    own = network.state_dict()
    head = [k for k in state if k.startswith(HEAD_PREFIXES) and k not in own]
    if head:
        log.info("weights file %s: classification head not used for embeddings: %s", path, _listing(head))
        state = {k: v for k, v in state.items() if k not in head}
    missing = set(own) - set(state)
    unexpected = set(state) - set(own)
    shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in sorted(set(own) & set(state))
              if tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing keys ({len(missing)}): {_listing(missing)}")
        if unexpected:
            parts.append(f"unexpected keys ({len(unexpected)}): {_listing(unexpected)}")
        if shapes:
            parts.append(f"shape mismatches ({len(shapes)}): {'; '.join(shapes[:8])}")
        raise RadiodeepError(
            f"weights file {path} does not fit the configured network ({type(network).__name__}); "
            + "; ".join(parts) + ". Check embed.resnet depth/widen_factor/conv1_t_stride or embed.preset."
        )
    network.load_state_dict(state, strict=True)
