"""Inference: sliding windows with Gaussian blending, optional flip TTA, post-processing, and the
mask written back on the input image's own grid (whatever its spacing and orientation).
"""

from __future__ import annotations

import copy
import logging

import numpy as np
import SimpleITK as sitk

from radiodeep.errors import CaseError
from radiodeep.segment.data import normalise
from radiodeep.segment.postprocess import postprocess

log = logging.getLogger(__name__)

_FLIPS = [(), (2,), (3,), (4,)]  # identity and one flip per spatial axis of (B, C, z, y, x)


def predict_probability(net, image: np.ndarray, patch_size, device: str = "cpu", overlap: float = 0.25,
                        sw_batch_size: int = 4, tta: bool = False, channels_last: bool | None = None) -> np.ndarray:
    """Foreground probability of a normalised (z, y, x) array; volumes smaller than the patch are padded.

    On CUDA the windows run under bf16 autocast with cuDNN's autotuner on (every window has the
    same shape) and, unless ``channels_last=False``, with a copy of the weights and the windows in
    channels-last 3D layout (NDHWC, the layout of cuDNN's tensor-core 3D convolutions).
    """
    import torch
    from monai.inferers import sliding_window_inference

    cuda = torch.device(device).type == "cuda"
    channels_last = cuda if channels_last is None else channels_last
    predictor = net
    if channels_last:
        fast = copy.deepcopy(net).to(memory_format=torch.channels_last_3d)

        def predictor(window):
            return fast(window.contiguous(memory_format=torch.channels_last_3d))

    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None].to(device)
    prob = torch.zeros_like(x)
    flips = _FLIPS if tta else _FLIPS[:1]
    benchmark = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = benchmark or cuda
    try:
        with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
            for dims in flips:
                xi = torch.flip(x, dims) if dims else x
                logits = sliding_window_inference(xi, list(patch_size), sw_batch_size, predictor, overlap=overlap,
                                                  mode="gaussian")
                p = torch.softmax(logits.float(), dim=1)[:, 1:2]
                prob += torch.flip(p, dims) if dims else p
    finally:
        torch.backends.cudnn.benchmark = benchmark
    return (prob / len(flips))[0, 0].float().cpu().numpy()


def _model_grid(image: sitk.Image, spacing) -> sitk.Image:
    """An identity-direction grid at ``spacing`` covering ``image``'s physical extent."""
    size = np.array(image.GetSize())
    corners = [image.TransformContinuousIndexToPhysicalPoint([float(c) for c in idx])
               for idx in np.array(np.meshgrid(*[[-0.5, s - 0.5] for s in size])).reshape(3, -1).T]
    lo, hi = np.min(corners, axis=0), np.max(corners, axis=0)
    spacing = np.asarray(spacing, float)
    new_size = np.maximum(np.ceil((hi - lo) / spacing - 1e-6).astype(int), 1)
    ref = sitk.Image([int(s) for s in new_size], sitk.sitkFloat32)
    ref.SetSpacing(tuple(spacing))
    ref.SetOrigin(tuple(lo + spacing / 2))
    return ref


def check_image(image: sitk.Image, meta: dict, modality: str | None, case_id: str | None, path) -> bool:
    """Check ``image`` against the model's expectations; return True when it must be resampled."""
    if modality and meta.get("modality") and modality != meta["modality"]:
        raise CaseError(case_id, path, f"image modality {modality} but the model was trained on {meta['modality']}")
    spacing = meta.get("spacing")
    same_spacing = spacing is None or np.allclose(image.GetSpacing(), spacing, rtol=1e-3)
    identity = np.allclose(image.GetDirection(), np.eye(3).ravel(), atol=1e-4)
    if not same_spacing:
        log.info("case %s: spacing %s differs from the model's %s; resampling for inference and back",
                 case_id, [round(s, 3) for s in image.GetSpacing()], spacing)
    if not identity:
        log.info("case %s: direction %s is not the identity; resampling for inference and back", case_id, image.GetDirection())
    return not (same_spacing and identity)


def warn_if_unlike_training(raw: np.ndarray, meta: dict, case_id, path, limit: float = 0.95) -> float:
    """Log a warning when most voxels fall outside the intensity window the network was trained
    in (e.g. a CT in HU given to a PET model trained on SUV 0..20); return that share."""
    lo, hi = meta["intensity"]["clip"]
    outside = float(np.mean((raw < lo) | (raw > hi))) if raw.size else 0.0
    if outside > limit:
        log.warning("case %s: %.0f%% of %s's voxels lie outside the model's training window [%g, %g] (%s model): "
                    "is this image of the model's modality and units?", case_id, 100 * outside, path, lo, hi,
                    meta.get("modality", "unknown"))
    return outside


def segment_image(net, meta: dict, image: sitk.Image, device: str = "cpu", tta: bool | None = None,
                  postprocessing: dict | None = None, modality: str | None = None,
                  case_id: str | None = None, path=None) -> sitk.Image:
    """Segment ``image`` (in its modality's units) with a loaded checkpoint; the mask shares its grid."""
    inference = meta.get("inference", {})
    tta = inference.get("tta", False) if tta is None else tta
    post = postprocessing or inference.get("postprocessing", {"largest_component": True, "fill_holes": True})
    work = image
    if check_image(image, meta, modality, case_id, path):
        work = sitk.Resample(image, _model_grid(image, meta["spacing"]), sitk.Transform(), sitk.sitkLinear, 0.0, sitk.sitkFloat32)
    raw = sitk.GetArrayFromImage(work)
    warn_if_unlike_training(raw, meta, case_id, path)
    arr = normalise(raw, meta["intensity"])
    prob = predict_probability(net, arr, meta["patch_size"], device, overlap=inference.get("overlap", 0.25),
                               sw_batch_size=inference.get("sw_batch_size", 4), tta=tta)
    if work is not image:
        p = sitk.GetImageFromArray(prob)
        p.CopyInformation(work)
        prob = sitk.GetArrayFromImage(sitk.Resample(p, image, sitk.Transform(), sitk.sitkLinear, 0.0, sitk.sitkFloat32))
    mask = postprocess((prob >= 0.5).astype(np.uint8), **post)
    out = sitk.GetImageFromArray(mask)
    out.CopyInformation(image)
    return out
