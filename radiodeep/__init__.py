"""radiodeep: medical image cohorts to radiomic and deep features, and honest ROC estimates.

Every workflow stage is a plain function in a submodule (``radiodeep.preprocess``,
``radiodeep.radiomics``, ...), testable without Snakemake.
"""

__version__ = "0.1.0"
