"""Feature sets, fusion, permutation control, external test split and saved models on synthetic tables."""

import numpy as np
import pandas as pd
import pytest

from radiodeep.errors import RadiodeepError
from radiodeep.evaluate.stage import run_evaluate
from radiodeep.model.persist import load_model
from radiodeep.model.stage import ModelSettings, model_feature_sets, predict_table, run_model


def synthetic_sources(n=60, seed=0, n_hc=30, n_deep=20):
    """Two sources, each carrying part of the outcome signal (fusion should beat either)."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % 2)
    ids = [f"c{i:03d}" for i in range(n)]
    latent = rng.normal(size=(n, 2))
    y_score = latent.sum(axis=1)
    y = (y_score > np.median(y_score)).astype(int)
    hc = pd.DataFrame(rng.normal(size=(n, n_hc)), columns=[f"original_firstorder_f{i}" for i in range(n_hc)])
    hc.iloc[:, 0] += 1.5 * latent[:, 0]
    deep = pd.DataFrame(rng.normal(size=(n, n_deep)), columns=[f"deep-unet_enc4_f{i:04d}" for i in range(n_deep)])
    deep.iloc[:, 0] += 1.5 * latent[:, 1]
    keys = pd.DataFrame({"case_id": ids, "patient_id": ids, "roi": "1"})
    outcome = keys[["case_id", "patient_id"]].assign(label=pd.array(y, dtype="Int64"))
    return {"handcrafted": pd.concat([keys, hc], axis=1), "deep": pd.concat([keys, deep], axis=1)}, outcome


@pytest.fixture(scope="module")
def fused_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fusion")
    sources, outcome = synthetic_sources()
    settings = ModelSettings(feature_sets=["handcrafted", "deep", "early_fusion", "late_fusion"], classifiers=["elasticnet"], folds=3,
                             repeats=1, inner_folds=2, permutations=2, selection="mrmr", n_select=5, baselines=False, n_jobs=1)
    model_feature_sets(sources, outcome, settings, out, out / "models", seed=0)
    metrics = run_evaluate(out / "oof_predictions.csv", out, out / "permutation_null.csv", out / "test_predictions.csv", n_boot=200)
    return out, metrics.set_index("feature_set"), sources, outcome


def test_fusion_beats_single_sources_and_outputs_are_complete(fused_run):
    out, metrics, sources, _ = fused_run
    auc = metrics["auc"]
    assert auc["early_fusion"] > max(auc["handcrafted"], auc["deep"]) - 0.02
    assert auc["late_fusion"] > max(auc["handcrafted"], auc["deep"]) - 0.02
    assert 0.6 < auc["handcrafted"] < 0.9 and 0.6 < auc["deep"] < 0.9
    assert metrics["n_permutations"].eq(2).all() and metrics["perm_p"].between(1 / 3, 1).all()  # 1/(2+1) minimum
    assert metrics[["sensitivity", "specificity", "ppv", "npv", "brier"]].notna().all().all()
    delong = pd.read_csv(out / "delong.csv")
    assert set(zip(delong.model_a, delong.model_b, strict=False)) == {(f, s) for f in ("early_fusion", "late_fusion") for s in ("handcrafted", "deep")}
    assert delong["p"].between(0, 1).all()
    for fig in ("roc", "calibration", "decision_curve"):
        assert (out / f"{fig}.png").stat().st_size > 10_000 and (out / f"{fig}.svg").exists()
    oof = pd.read_csv(out / "oof_predictions.csv")
    assert len(oof) == 4 * 60 and oof.groupby("feature_set").case_id.nunique().eq(60).all()


def test_saved_model_predicts_and_names_missing_columns(fused_run):
    out, _, sources, _ = fused_run
    bundle = load_model(out / "models" / "late_fusion-elasticnet.skops")
    table = sources["handcrafted"].merge(sources["deep"].drop(columns=["patient_id", "roi"]), on="case_id")
    pred = predict_table(bundle, table)
    assert len(pred) == 60 and pred["score"].between(0, 1).all()
    assert set(bundle["sources"]) == {"handcrafted", "deep"}
    with pytest.raises(RadiodeepError, match=r"lacks 20 of the model's 50 feature columns"):
        predict_table(bundle, sources["handcrafted"])


def test_external_split_is_scored_once_by_the_model_fitted_on_train(tmp_path):
    sources, outcome = synthetic_sources(n=80, seed=1)
    outcome = outcome.assign(split=np.where(np.arange(80) < 60, "train", "test"))
    settings = ModelSettings(feature_sets=["handcrafted"], classifiers=["elasticnet"], repeats=1, permutations=0, selection="mrmr",
                             n_select=5, baselines=False)
    model_feature_sets(sources, outcome, settings, tmp_path, tmp_path / "models", seed=0)
    oof, test = pd.read_csv(tmp_path / "oof_predictions.csv"), pd.read_csv(tmp_path / "test_predictions.csv")
    assert set(oof.case_id) == set(outcome.case_id[:60]) and set(test.case_id) == set(outcome.case_id[60:])
    bundle = load_model(tmp_path / "models" / "handcrafted-elasticnet.skops")
    expected = bundle["model"].predict_proba(sources["handcrafted"].iloc[60:][bundle["features"]])[:, 1]
    np.testing.assert_allclose(test["score"], expected)
    metrics = run_evaluate(tmp_path / "oof_predictions.csv", tmp_path, tmp_path / "permutation_null.csv",
                           tmp_path / "test_predictions.csv", n_boot=200)
    assert metrics.at[0, "test_n"] == 20 and metrics.at[0, "test_auc_ci_low"] <= metrics.at[0, "test_auc"]


def test_bad_inputs_give_clear_errors(tmp_path):
    sources, outcome = synthetic_sources(n=20)
    few = outcome.assign(label=pd.array([1] * 3 + [0] * 17, dtype="Int64"))
    settings = ModelSettings(repeats=1, permutations=0, classifiers=["elasticnet"], baselines=False)
    with pytest.raises(RadiodeepError, match="fewer than the 5 folds"):
        model_feature_sets(sources, few, settings, tmp_path, tmp_path / "m")
    with pytest.raises(RadiodeepError, match=r"feature source\(s\) \['deep'\] not available"):
        model_feature_sets({"handcrafted": sources["handcrafted"]}, outcome, ModelSettings(feature_sets=["early_fusion"]), tmp_path, tmp_path / "m")
    with pytest.raises(RadiodeepError, match="split has value"):
        model_feature_sets(sources, outcome.assign(split="validation"), settings, tmp_path, tmp_path / "m")


def test_stability_table_and_combat_through_the_workflow_entry(tmp_path, caplog):
    sources, outcome = synthetic_sources(n=48, seed=2)
    (tmp_path / "radiomics.parquet").parent.mkdir(exist_ok=True)
    sources["handcrafted"].to_parquet(tmp_path / "radiomics.parquet")
    pd.DataFrame({"feature": ["original_firstorder_f0", "original_firstorder_f1"], "icc": [0.5, 0.9]}).to_csv(tmp_path / "stability.csv", index=False)
    manifest = outcome.assign(site=np.where(outcome["label"] == 1, "A", "B"), age=np.arange(48.0))
    settings = ModelSettings(feature_sets=["handcrafted", "clinical"], classifiers=["elasticnet"], clinical_columns=["age"], folds=3,
                             repeats=1, permutations=0, selection="mrmr", n_select=5, combat=True, baselines=False)
    run_model({"handcrafted": tmp_path / "radiomics.parquet"}, manifest, tmp_path, tmp_path / "models", settings,
              stability=tmp_path / "stability.csv")
    bundle = load_model(tmp_path / "models" / "handcrafted-elasticnet.skops")
    assert "original_firstorder_f0" not in bundle["features"] and "original_firstorder_f1" in bundle["features"]
    assert bundle["features"][-1] == "site" and "ComBat" in repr(bundle["model"])
    assert "confounded" in caplog.text  # every positive at site A
    assert load_model(tmp_path / "models" / "clinical-elasticnet.skops")["features"] == ["age", "site"]


def test_importance_of_every_fold_model_names_the_signal_feature(fused_run):
    out, _, _, _ = fused_run
    imp = pd.read_csv(out / "importance.csv")
    assert list(imp.columns[:8]) == ["feature_set", "classifier", "feature", "selection_frequency", "importance_median",
                                     "importance_q1", "importance_q3", "importance_kind"]
    kinds = imp.groupby("feature_set")["importance_kind"].unique().map(list).to_dict()
    assert kinds == {"handcrafted": ["coefficient"], "deep": ["coefficient"], "early_fusion": ["coefficient"], "late_fusion": ["permutation"]}
    top = imp.groupby("feature_set").head(1).set_index("feature_set")
    assert top.loc["handcrafted", "feature"] == "original_firstorder_f0" and top.loc["deep", "feature"] == "deep-unet_enc4_f0000"
    assert (top["selection_frequency"] == 1.0).all() and (top["importance_median"] > 0).all() and (top["n_models"] == 3).all()
    assert imp["importance_q1"].le(imp["importance_median"]).all() and imp["importance_median"].le(imp["importance_q3"]).all()


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("default")
    sources, outcome = synthetic_sources(n=60, seed=5, n_hc=30)
    settings = ModelSettings(feature_sets=["handcrafted"], folds=3, repeats=2, inner_folds=2, permutations=1, n_jobs=1)
    model_feature_sets({"handcrafted": sources["handcrafted"]}, outcome, settings, out, out / "models", seed=0)
    metrics = run_evaluate(out / "oof_predictions.csv", out, out / "permutation_null.csv", out / "test_predictions.csv",
                           n_boot=200, importance_path=out / "importance.csv")
    return out, metrics.set_index("classifier")


def test_default_and_baselines_share_the_outer_folds(default_run):
    out, metrics = default_run
    assert metrics["baseline"].to_dict() == {"auto": False, "baseline_l1_logistic": True, "baseline_random_forest": True}
    # the handcrafted source carries half of the outcome's latent signal
    assert metrics["auc"].between(0.55, 0.9).all() and metrics["auc_repeat_sd"].notna().all(), metrics["auc"]
    assert metrics.loc["auto", "n_permutations"] == 1 and metrics.loc[["baseline_l1_logistic", "baseline_random_forest"], "n_permutations"].eq(0).all()
    oof = pd.read_csv(out / "oof_predictions.csv")
    folds = {clf: g.sort_values(["repeat", "case_id"])["fold"].to_numpy() for clf, g in oof.groupby("classifier")}
    np.testing.assert_array_equal(folds["auto"], folds["baseline_l1_logistic"])
    np.testing.assert_array_equal(folds["auto"], folds["baseline_random_forest"])
    assert sorted(p.name for p in (out / "models").iterdir()) == ["handcrafted-auto.skops"]


def test_default_importance_is_permutation_on_held_out_cases(default_run):
    out, _ = default_run
    imp = pd.read_csv(out / "importance.csv").set_index(["classifier", "feature"])
    assert imp.loc[("auto", "original_firstorder_f0"), "importance_kind"] == "permutation"
    assert imp.loc[("auto", "original_firstorder_f0"), "selection_frequency"] == 1.0
    assert imp.loc[("auto", "original_firstorder_f0"), "importance_median"] > 0.05  # AUC drop when the signal is shuffled
    assert imp.loc[("baseline_l1_logistic", "original_firstorder_f0"), "importance_kind"] == "coefficient"
    assert imp.loc[("baseline_l1_logistic", "original_firstorder_f0"), "importance_median"] > 0
    assert "original_firstorder_f0" in imp.xs("auto").index[:3]  # with seed 5, noise f9 predicts as well by chance
    assert (out / "importance.png").stat().st_size > 10_000


def test_planned_folds_fit_a_table_whose_smaller_class_has_fewer_patients(tmp_path):
    """An image only some cases have (e.g. CT for 15 of 51 PET cases): planned folds are lowered
    for its table alone; folds the user set are refused there, as before."""
    sources, outcome = synthetic_sources(n=40)
    deep = sources["deep"]
    keep = list(deep[outcome["label"].to_numpy() == 0]["case_id"]) + list(deep[outcome["label"].to_numpy() == 1]["case_id"][:3])
    sources["deep"] = deep[deep["case_id"].isin(keep)].reset_index(drop=True)  # 3 positive patients
    common = dict(feature_sets=["handcrafted", "deep"], classifiers=["elasticnet"], repeats=1, inner_folds=2,
                  permutations=2, selection="mrmr", n_select=5, baselines=False, n_jobs=1, folds=5)
    model_feature_sets(sources, outcome, ModelSettings(**common, folds_planned=True), tmp_path, tmp_path / "m", seed=0)
    oof = pd.read_csv(tmp_path / "oof_predictions.csv")
    assert oof.groupby("feature_set")["fold"].nunique().to_dict() == {"deep": 3, "handcrafted": 5}
    assert len(oof[oof.feature_set == "deep"]) == len(keep)
    with pytest.raises(RadiodeepError, match="only 3 patient"):
        model_feature_sets(sources, outcome, ModelSettings(**common), tmp_path / "set", tmp_path / "set_m", seed=0)
