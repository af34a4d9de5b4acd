"""``radiodeep evaluate --time --event``: the Cox models beside (or instead of) the binary model,
with the outcome columns never used as features."""

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from radiodeep.cli import app


def test_evaluate_with_time_and_event_beside_the_label(tmp_path):
    rng = np.random.default_rng(1)
    n = 48
    risk = rng.normal(size=n)
    time = 100 * np.exp(-1.5 * risk + rng.normal(0, 0.3, n))  # higher risk, earlier event
    event = (rng.uniform(size=n) < 0.8).astype(int)
    table = pd.DataFrame({"ID": [f"c{i}" for i in range(n)], "months": time.round(2), "relapse": event,
                          "label": (risk > 0).astype(int), "original_firstorder_Mean": risk + rng.normal(0, 0.3, n),
                          "original_glcm_Contrast": rng.normal(size=n), "original_shape_Sphericity": rng.normal(size=n)})
    table.to_csv(tmp_path / "t.csv", index=False)
    args = ["evaluate", str(tmp_path / "t.csv"), "--id", "ID", "--label", "label", "--time", "months", "--event", "relapse",
            "-o", str(tmp_path / "out"), "--classifier", "elasticnet", "--no-baselines", "--folds", "3", "--repeats", "1",
            "--permutations", "0", "--n-bootstrap", "200"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    survival = pd.read_csv(tmp_path / "out" / "survival_metrics.csv")
    assert survival.loc[0, "c_index"] > 0.65 and survival.loc[0, "c_index_ci_low"] < survival.loc[0, "c_index"]
    coefficients = pd.read_csv(tmp_path / "out" / "survival_coefficients.csv")
    features = {"original_firstorder_Mean", "original_glcm_Contrast", "original_shape_Sphericity"}
    assert set(coefficients["feature"]) == features  # neither label, time nor event
    metrics = pd.read_csv(tmp_path / "out" / "metrics.csv")
    assert metrics.loc[0, "auc"] > 0.75
    importance = pd.read_csv(tmp_path / "out" / "importance.csv")
    assert set(importance["feature"]) <= features
    only = CliRunner().invoke(app, [*args[:4], *args[6:10], "-o", str(tmp_path / "out2"), *args[12:]])
    assert only.exit_code == 0, only.output
    assert (tmp_path / "out2" / "survival_metrics.csv").exists() and not (tmp_path / "out2" / "metrics.csv").exists()
    half = CliRunner().invoke(app, ["evaluate", str(tmp_path / "t.csv"), "--id", "ID", "--time", "months", "-o", str(tmp_path / "x")])
    assert half.exit_code == 2 and "give --label, or --time with --event" in half.output
