"""Saving and loading final models in a format that cannot run code when loaded (skops.io).

A pickle (joblib) file runs whatever its author put in it the moment it is loaded, so a model
file from a collaborator or a paper's supplement would be a program. Models are therefore saved
with skops.io, whose loader builds only the types it is told to trust. :func:`load_model`
trusts skops' own defaults plus :data:`ALLOWED_TYPES` (scikit-learn internals, xgboost and
radiodeep's transformers, listed by name) and refuses a file holding any other type, with the
list. A legacy ``.joblib`` file is refused unless the caller passes ``trust_pickle=True``.

Example:
    >>> save_model({"model": fitted, "features": cols, "threshold": 0.4}, "m.skops")  # doctest: +SKIP
    >>> load_model("m.skops")["threshold"]  # doctest: +SKIP
    0.4
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from radiodeep.errors import RadiodeepError
from radiodeep.io import atomic_path

log = logging.getLogger(__name__)
MODEL_SUFFIX = ".skops"
# Types (fully qualified, as skops.io.get_untrusted_types names them) that radiodeep's pipelines
# hold beyond skops' default trusted set. Every entry is a class or function of scikit-learn,
# xgboost, numpy or radiodeep itself; tests/model/test_persist.py checks that every pipeline
# variant needs nothing else and that every estimator class of radiodeep.model is listed.
ALLOWED_TYPES = frozenset({
    "functools.partial",  # SelectFromModel(max_features=partial(_at_most, k)); its function is checked too
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.tree._tree.Tree",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
    "radiodeep.model.clinical.ClinicalEncoder",
    "radiodeep.model.combat.ComBat",
    "radiodeep.model.ensemble.AveragingEnsemble",
    "radiodeep.model.ensemble.GroupedLogisticCV",
    "radiodeep.model.filters.CorrelationFilter",
    "radiodeep.model.filters.MRMRSelector",
    "radiodeep.model.filters.StabilityFilter",
    "radiodeep.model.fusion.LateFusionClassifier",
    "radiodeep.model.pipelines._at_most",
    "radiodeep.model.survival.UnivariateCoxSelector",
})


def save_model(bundle: Mapping[str, Any], path: str | Path) -> None:
    """Write a model bundle (a dict: the fitted estimator, its feature columns, threshold,
    provenance hash...) with skops.io, atomically."""
    import skops.io as sio

    with atomic_path(path) as tmp:
        sio.dump(dict(bundle), tmp)


def unknown_types(path: str | Path) -> list[str]:
    """Types in a skops file that neither skops nor :data:`ALLOWED_TYPES` trusts."""
    import skops.io as sio

    return sorted(set(sio.get_untrusted_types(file=path)) - ALLOWED_TYPES)


def load_model(path: str | Path, trust_pickle: bool = False) -> dict[str, Any]:
    """Load a model bundle written by :func:`save_model`.

    Raises:
        RadiodeepError: the file is missing, holds a type outside the allow-list (named in the
            message), or is a pickle/joblib file and ``trust_pickle`` is False.
    """
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise RadiodeepError(f"{path}: model file not found")
    if not zipfile.is_zipfile(path):
        return _load_pickle(path, trust_pickle)
    try:
        unknown = unknown_types(path)
    except Exception as exc:  # a damaged or foreign zip: skops raises whatever its parser meets
        raise RadiodeepError(f"{path}: not a readable skops model file ({exc}); save it again with radiodeep") from exc
    if unknown:
        raise RadiodeepError(f"{path}: refused to load a model holding type(s) that are not scikit-learn, xgboost "
                             f"or radiodeep estimators: {unknown}; only load model files from a source you trust")
    bundle = sio.load(path, trusted=sorted(ALLOWED_TYPES))
    if not isinstance(bundle, dict) or "model" not in bundle or "features" not in bundle:
        raise RadiodeepError(f"{path}: not a radiodeep model file (no 'model' and 'features' entries)")
    return bundle


def _load_pickle(path: Path, trust_pickle: bool) -> dict[str, Any]:
    """A legacy joblib/pickle model: refused unless trusted explicitly, since loading runs its code."""
    if not trust_pickle:
        raise RadiodeepError(f"{path}: is a pickle (joblib) file, and loading a pickle can run any code in it; refused. "
                             f"Re-create the model with this radiodeep version (it writes {MODEL_SUFFIX} files), "
                             "or pass --trust-pickle if you made the file yourself or trust its source")
    import joblib

    log.warning("%s: loading a pickle (joblib) model because --trust-pickle was given: this runs any code the file "
                "holds; re-save it as %s", path, MODEL_SUFFIX)
    bundle = joblib.load(path)
    if not isinstance(bundle, dict) or "model" not in bundle:
        raise RadiodeepError(f"{path}: not a radiodeep model file (no 'model' entry)")
    return bundle
