"""Preprocessing: resampling to an isotropic grid and modality-aware intensity handling."""

from radiodeep.preprocess.intensity import normalise_intensity
from radiodeep.preprocess.resample import resample_image, resample_label_map
from radiodeep.preprocess.stage import preprocess_batch, preprocess_case

__all__ = ["normalise_intensity", "preprocess_batch", "preprocess_case", "resample_image", "resample_label_map"]
