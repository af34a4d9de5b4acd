"""3D U-Net segmentation (MONAI): networks, checkpoints, training, inference, QC."""
