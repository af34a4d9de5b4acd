"""Small synthetic cases and tiny networks for the embed tests."""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
import torch

from radiodeep.segment.checkpoint import build_network, save_checkpoint

TINY_UNET = {"name": "UNet", "spatial_dims": 3, "in_channels": 1, "out_channels": 1,
             "channels": [4, 8, 16], "strides": [2, 2], "num_res_units": 1}
TINY_RESNET = {"depth": 10, "widen_factor": 0.25, "conv1_t_stride": 1}


def blobs(spacing: float, fov_mm: float = 96.0, shift_mm=(0.0, 0.0, 0.0)) -> tuple[sitk.Image, sitk.Image]:
    """Smooth SUV-like content defined in physical space, sampled at ``spacing``; ROI: a 14 mm sphere."""
    n = int(round(fov_mm / spacing))
    c = (np.arange(n) + 0.5) * spacing - fov_mm / 2  # voxel centres in mm, grid centred on 0
    z, y, x = np.meshgrid(c, c, c, indexing="ij")
    x, y, z = x - shift_mm[0], y - shift_mm[1], z - shift_mm[2]
    arr = (8 * np.exp(-((x - 3) ** 2 + y**2 + (z + 2) ** 2) / (2 * 9.0**2))
           + 4 * np.exp(-((x + 12) ** 2 + (y - 10) ** 2 + z**2) / (2 * 6.0**2)) + 1.0)
    mask = ((x - 2) ** 2 + y**2 + (z + 1) ** 2 <= 14.0**2).astype(np.uint8)
    image, label = sitk.GetImageFromArray(arr.astype(np.float32)), sitk.GetImageFromArray(mask)
    for im in (image, label):
        im.SetSpacing([spacing] * 3)
        im.SetOrigin([c[0]] * 3)
    return image, label


@pytest.fixture(scope="session")
def unet_checkpoint(tmp_path_factory):
    """A tiny U-Net with seeded random weights, saved through the segmentation checkpoint contract."""
    out = tmp_path_factory.mktemp("unet") / "model.pt"
    torch.manual_seed(3)
    net = build_network(TINY_UNET)
    save_checkpoint(net, {"architecture": TINY_UNET, "spacing": [4.0, 4.0, 4.0],
                          "intensity": {"clip": [0.0, 20.0], "shift": 0.0, "scale": 0.1}}, out)
    return out
