"""The results page's inputs in a run's ``results/`` folder: the workflow's ``summary`` rule asks
here, so a stage that adds a table the page shows (importance, the cohort plan) joins it by itself.

Example:
    >>> sorted(results_page_inputs("m.csv", segment_on=False, stability=False, available=lambda p: False))[:3]
    ['calibration', 'decision_curve', 'delong']
"""

from __future__ import annotations

from collections.abc import Callable

EVALUATION_FIGURES = ("roc", "calibration", "decision_curve")
OPTIONAL = {"plan": "results/plan.json", "importance": "results/evaluation/importance.csv",
            "importance_figure": "results/evaluation/importance.png"}


def results_page_inputs(manifest: str, segment_on: bool, stability: bool,
                        available: Callable[[str], bool]) -> dict[str, str]:
    """Paths by name (the names :func:`radiodeep.report.summary.summary_context` reads).

    Args:
        manifest: the run's manifest.
        segment_on: the run has a U-Net (dice.csv and the segmentation pictures).
        stability: the run has ``results/features/stability.csv`` (``mask_source: both``).
        available: whether an optional file exists or some rule makes it.
    """
    inputs = {
        "provenance": "results/provenance.json", "manifest": manifest, "ingest_qc": "results/ingest/qc.csv",
        "excluded": "results/report/excluded_cases.csv", "oof": "results/evaluation/oof_predictions.csv",
        "null": "results/evaluation/permutation_null.csv", "metrics": "results/evaluation/metrics.csv",
        "delong": "results/evaluation/delong.csv",
        **{fig: f"results/evaluation/{fig}.png" for fig in EVALUATION_FIGURES},
    }
    inputs.update({name: path for name, path in OPTIONAL.items() if available(path)})
    if segment_on:
        inputs.update(dice="results/segmentation/dice.csv", contact_sheet="results/report/contact_sheet.png",
                      segmentation_distributions="results/report/segmentation_distributions.png")
    if stability:
        inputs.update(stability="results/features/stability.csv", icc="results/report/icc_by_family.png")
    return inputs
