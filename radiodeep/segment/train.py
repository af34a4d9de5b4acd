"""Patch-based training of a MONAI 3D U-Net: DiceCE loss, AdamW + OneCycle, augmentation,
early stopping on validation Dice, fixed seeds (deterministic on CPU), bf16 autocast on GPU.
"""

from __future__ import annotations

import copy
import logging
import time

import numpy as np

from radiodeep.seeds import seed_everything
from radiodeep.segment.checkpoint import build_network
from radiodeep.segment.data import Case

log = logging.getLogger(__name__)

# The demo recipe (2 CPU cores): small inputs, foreground-balanced crops, short one-cycle schedule.
DEFAULT_TRAINING = {
    "architecture": {
        "name": "UNet", "spatial_dims": 3, "in_channels": 1, "out_channels": 2,
        "channels": [16, 32, 64, 128, 256], "strides": [2, 2, 2, 2], "num_res_units": 1, "norm": "INSTANCE",
    },
    "patch_size": [48, 48, 48],
    "batch_size": 2,             # volumes per step
    "samples_per_volume": 2,     # crops per volume (RandCropByPosNegLabeld)
    "pos_fraction": 0.5,         # share of crops centred on the foreground
    "steps": 400,
    "lr": 0.003,
    "weight_decay": 0.0001,
    "val_every": 50,
    "patience": 4,               # validations without improvement before stopping
    "val_fraction": 0.15,
    "time_budget_s": 600,        # safety cap per training run
    "overlap": 0.25,
    "sw_batch_size": 4,
}


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` when a GPU is visible, else ``cpu``."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        from radiodeep.errors import RadiodeepError

        raise RadiodeepError("segment.device is 'cuda' but torch sees no CUDA GPU; use 'auto' or 'cpu'")
    return device


def _cropper(settings: dict, seed: int):
    """MONAI foreground-balanced crops (RandCropByPosNegLabeld) of a (pre-padded) volume."""
    from monai.transforms import RandCropByPosNegLabeld

    pos = settings["pos_fraction"]
    crop = RandCropByPosNegLabeld(["image", "label"], "label", spatial_size=settings["patch_size"], pos=pos,
                                  neg=1 - pos, num_samples=settings["samples_per_volume"], image_key=None)
    crop.set_random_state(seed)
    return crop


def _pad(case: Case, patch_size) -> tuple[np.ndarray, np.ndarray]:
    """(1, z, y, x) image and label, symmetrically zero-padded up to the patch size."""
    pads = [(max(0, p - s) // 2, max(0, p - s) - max(0, p - s) // 2) for s, p in zip(case.image.shape, patch_size, strict=True)]
    return np.pad(case.image, pads)[None], np.pad(case.mask, pads)[None].astype(np.float32)


def _augment(x, y, gen):
    """Random flips along each axis and intensity scale/shift per sample (cheap torch ops on the batch)."""
    import torch

    n = x.shape[0]
    for dim in (2, 3, 4):
        flip = torch.rand(n, generator=gen) < 0.5
        x[flip], y[flip] = x[flip].flip(dim - 1), y[flip].flip(dim - 1)
    scale = 1 + 0.2 * (2 * torch.rand(n, 1, 1, 1, 1, generator=gen) - 1)
    shift = 0.1 * (2 * torch.rand(n, 1, 1, 1, 1, generator=gen) - 1)
    return x * scale + shift, y


def _batch(padded, idx, crop, gen, device: str, channels_last: bool):
    import torch

    images, labels = [], []
    for i in idx:
        for c in crop({"image": padded[i][0], "label": padded[i][1]}):
            images.append(torch.as_tensor(np.asarray(c["image"])))
            labels.append(torch.as_tensor(np.asarray(c["label"])))
    x, y = _augment(torch.stack(images).float(), torch.stack(labels).float(), gen)
    x, y = x.to(device), y.to(device)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last_3d)
    return x, y


def validation_dice(net, cases: list[Case], settings: dict, device: str) -> float:
    """Mean Dice of the network's raw argmax masks over ``cases`` (no TTA, no post-processing)."""
    from radiodeep.segment.infer import predict_probability
    from radiodeep.segment.metrics import dice_hd95

    dices = []
    for c in cases:
        prob = predict_probability(net, c.image, settings["patch_size"], device, overlap=settings["overlap"],
                                   sw_batch_size=settings["sw_batch_size"], tta=False)
        dices.append(dice_hd95((prob >= 0.5).astype(np.uint8), c.mask, c.spacing)[0])
    return float(np.nanmean(dices))


def train_network(train: list[Case], val: list[Case], settings: dict, seed: int, device: str = "cpu", name: str = "model"):
    """Train a fresh network on ``train``; with ``val``, keep the weights of the best validation Dice.

    Returns:
        (network in eval mode, info dict with steps run, best step, best validation Dice, seconds).
    """
    import torch
    from monai.losses import DiceCELoss

    seed_everything(seed, deterministic=device == "cpu")
    rng = np.random.default_rng(seed)
    net = build_network(settings["architecture"]).to(device)
    channels_last = device == "cpu"  # ~1.4x faster 3D convolutions with oneDNN on CPU
    if channels_last:
        net = net.to(memory_format=torch.channels_last_3d)
    opt = torch.optim.AdamW(net.parameters(), lr=settings["lr"], weight_decay=settings["weight_decay"])
    steps = int(settings["steps"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=settings["lr"], total_steps=steps, pct_start=0.15)
    loss_fn = DiceCELoss(to_onehot_y=True, softmax=True)
    from monai.data import set_track_meta

    set_track_meta(False)  # plain tensors: MONAI's metadata tracking triples the cost of a crop
    crop, gen = _cropper(settings, seed), torch.Generator().manual_seed(seed)
    padded = [_pad(c, settings["patch_size"]) for c in train]
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda")
    best = {"dice": -1.0, "step": 0, "state": None}
    bad, start, step = 0, time.perf_counter(), 0
    for step in range(1, steps + 1):
        net.train()
        idx = rng.choice(len(train), size=min(settings["batch_size"], len(train)), replace=False)
        x, y = _batch(padded, idx, crop, gen, device, channels_last)
        opt.zero_grad(set_to_none=True)
        with autocast:
            loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        sched.step()
        if val and (step % settings["val_every"] == 0 or step == steps):
            net.eval()
            dice = validation_dice(net, val, settings, device)
            log.info("%s step %d/%d loss %.4f validation Dice %.4f", name, step, steps, loss.item(), dice)
            if dice > best["dice"]:
                best, bad = {"dice": dice, "step": step, "state": copy.deepcopy(net.state_dict())}, 0
            else:
                bad += 1
                if bad >= settings["patience"]:
                    log.info("%s early stop at step %d (best %d)", name, step, best["step"])
                    break
        if time.perf_counter() - start > settings["time_budget_s"]:
            log.warning("%s stopped by time_budget_s=%s at step %d", name, settings["time_budget_s"], step)
            break
    if best["state"] is not None:
        net.load_state_dict(best["state"])
    seconds = time.perf_counter() - start
    log.info("%s trained %d steps in %.1f s (%.2f steps/s)", name, step, seconds, step / seconds)
    info = {"steps": step, "best_step": best["step"] or step, "val_dice": best["dice"] if val else None, "seconds": round(seconds, 2)}
    return net.eval(), info
