"""Evaluation: AUC with patient-bootstrap confidence intervals, ROC figures."""

from radiodeep.evaluate.metrics import bootstrap_auc_ci, summarise_predictions
from radiodeep.evaluate.plots import plot_roc

__all__ = ["bootstrap_auc_ci", "plot_roc", "summarise_predictions"]
