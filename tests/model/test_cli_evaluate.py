"""``radiodeep evaluate`` on a bring-your-own table and ``radiodeep predict`` with its saved model."""

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from radiodeep.cli import app
from tests.model.test_stage import synthetic_sources


def _table(n=45):
    sources, outcome = synthetic_sources(n=n, seed=3, n_hc=200, n_deep=40)
    table = sources["handcrafted"].drop(columns="roi").merge(sources["deep"].drop(columns=["patient_id", "roi"]), on="case_id")
    table["wavelet-LLH_glcm_Empty"] = np.nan  # all-NaN column: dropped with a log line
    return table.assign(outcome=outcome["label"].to_numpy()).rename(columns={"case_id": "ID", "patient_id": "Patient"})


def test_evaluate_table_writes_fusion_outputs_and_predict_uses_the_model(tmp_path):
    table = _table()
    table.to_csv(tmp_path / "table.csv.gz", index=False)
    # the model records the images its table came from (the workflow's tables carry modality metadata)
    (tmp_path / "table.csv.gz.meta.json").write_text('{"radiodeep.modality": "MR", "radiodeep.preset_hash": "abc"}')
    args = ["evaluate", str(tmp_path / "table.csv.gz"), "--label", "outcome", "--id", "ID", "--group", "Patient",
            "-o", str(tmp_path / "out"), "--folds", "3", "--repeats", "1", "--inner-folds", "2", "--permutations", "1",
            "--classifier", "elasticnet", "--selection", "mrmr", "--n-select", "5", "--no-baselines", "--n-bootstrap", "200"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    metrics = pd.read_csv(tmp_path / "out" / "metrics.csv")
    assert list(metrics.feature_set) == ["handcrafted", "deep", "early_fusion", "late_fusion"]
    assert (metrics.n == 45).all() and len(pd.read_csv(tmp_path / "out" / "delong.csv")) == 4
    model = tmp_path / "out" / "models" / "early_fusion-elasticnet.skops"
    new = table.drop(columns="outcome").head(10)
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "table.csv.gz"), "--model", str(model), "--id", "ID",
                                      "-o", str(tmp_path / "pred.csv")])
    assert result.exit_code == 0, result.output
    pred = pd.read_csv(tmp_path / "pred.csv")
    assert len(pred) == 45 and set(pred.columns) >= {"case_id", "score", "threshold", "predicted"}
    assert "trained on MR images (preset abc), 45 cases" in result.output and "warning" not in result.output
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "table.csv.gz"), "--model", str(model), "--id", "ID",
                                      "-o", str(tmp_path / "pred_ct.csv"), "--modality", "ct"])
    assert result.exit_code == 0, result.output
    assert "warning: the model was trained on modality MR but the table records CT" in result.output
    new.drop(columns=["deep-unet_enc4_f0000"]).to_parquet(tmp_path / "new.parquet")
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "new.parquet"), "--model", str(model), "--id", "ID",
                                      "-o", str(tmp_path / "pred2.csv")])
    assert result.exit_code == 2 and "lacks 1 of the model's" in result.output and "deep-unet_enc4_f0000" in result.output


def test_evaluate_rejects_bad_tables(tmp_path):
    table = _table(n=30)
    cases = {
        "sex": (table.assign(sex="m"), "non-numeric feature column"),
        "one_class": (table.assign(outcome=1), "single class"),
        "dup": (pd.concat([table, table.head(1)]), "column 'ID' repeats ids in 2 rows (lines [2, 32]"),
        # Hosny2018B of radMLBench: one empty ID cell (a TypeError in the sort, before)
        "empty_id": (table.assign(ID=table["ID"].where(table.index != 3)), "column 'ID' is empty in 1 row(s) (lines [5])"),
        "empty_patient": (table.assign(Patient=table["Patient"].where(table.index != 0, " ")),
                          "column 'Patient' is empty in 1 row(s) (lines [2])"),
        "label": (table.assign(outcome=2), "must be 0/1"),
        "few_pos": (table.assign(outcome=(np.arange(30) < 3).astype(int)), "fewer than the 5 folds"),
    }
    for name, (bad, message) in cases.items():
        bad.to_csv(tmp_path / f"{name}.csv", index=False)
        result = CliRunner().invoke(app, ["evaluate", str(tmp_path / f"{name}.csv"), "--label", "outcome", "--id", "ID",
                                          "--group", "Patient", "-o", str(tmp_path / name), "--permutations", "0"])
        assert result.exit_code == 2 and message in result.output, (name, result.output)
