"""Classifiers over feature tables: scikit-learn pipelines and patient-grouped cross-validation."""

from radiodeep.model.cv import cross_validated_predictions, outer_splits
from radiodeep.model.data import design_matrix
from radiodeep.model.pipelines import build_pipeline

__all__ = ["build_pipeline", "cross_validated_predictions", "design_matrix", "outer_splits"]
