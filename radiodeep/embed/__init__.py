"""Deep features: CNN embeddings of a crop around each ROI (U-Net encoder, MONAI ResNet, random)."""

from radiodeep.embed.backbones import Backbone, build_backbone, build_resnet, unet_encoder
from radiodeep.embed.crop import crop_roi, roi_centre
from radiodeep.embed.extract import CaseInput, embed_cases, pool
from radiodeep.embed.stage import build_deep_tables, run_embedding
from radiodeep.embed.weights import load_weights

__all__ = ["Backbone", "CaseInput", "build_backbone", "build_deep_tables", "build_resnet", "crop_roi",
           "embed_cases", "load_weights", "pool", "roi_centre", "run_embedding", "unet_encoder"]
