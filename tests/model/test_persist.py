"""Model files that cannot run code: skops.io with an allow-list; pickles refused unless trusted."""

import importlib
import inspect
import io
import json
import pkgutil
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator
from typer.testing import CliRunner

import radiodeep.model
from radiodeep.cli import app
from radiodeep.errors import RadiodeepError
from radiodeep.model.data import KEYS
from radiodeep.model.persist import ALLOWED_TYPES, load_model, save_model, unknown_types
from radiodeep.model.pipelines import CLASSIFIERS, SELECTIONS, build_pipeline
from tests.model.test_stage import synthetic_sources


class _CreatesFileWhenUnpickled:
    """A pickle payload: unpickling calls open(target, "w"), i.e. runs code of the file's choosing."""

    def __init__(self, target):
        self.target = str(target)

    def __reduce__(self):
        return open, (self.target, "w")


def crafted_skops(path, target) -> None:
    """A skops file whose 'model' entry is built by calling builtins.open(target, "w")."""
    sio.dump({"model": (str(target), "w"), "features": ["x"], "threshold": 0.5}, path)
    with zipfile.ZipFile(path) as z:
        schema = json.loads(z.read("schema.json"))
    schema["content"]["model"] = {"__class__": "open", "__module__": "builtins",
                                  "__loader__": "ConstructorFromReduceNode", "content": schema["content"]["model"]}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("schema.json", json.dumps(schema))
    path.write_bytes(buf.getvalue())


@pytest.fixture(scope="module")
def cohort():
    sources, outcome = synthetic_sources(n=40, n_hc=8, n_deep=6)
    table = sources["handcrafted"].merge(sources["deep"].drop(columns=["patient_id", "roi"]), on="case_id")
    cols = {name: [c for c in frame.columns if c not in KEYS] for name, frame in sources.items()}
    return table.assign(site=np.where(np.arange(40) % 2, "A", "B")), outcome["label"].to_numpy().astype(int), cols


def variants():
    """Every selection (elastic net); every classifier alone, fused early with ComBat and fused late."""
    for selection in SELECTIONS:
        yield "elasticnet", selection, "none", False
    for clf in CLASSIFIERS:
        yield clf, "l1", "none", False
        yield clf, "mrmr", "early", True
        yield clf, "kbest", "late", True


def test_every_pipeline_round_trips_with_identical_predictions(cohort, tmp_path):
    table, y, cols = cohort
    for clf, selection, fusion, combat in variants():
        sources = None if fusion == "none" else cols
        columns = (cols["handcrafted"] if fusion == "none" else cols["handcrafted"] + cols["deep"]) + (["site"] if combat else [])
        model, _ = build_pipeline(clf, 0, sources=sources, fusion=fusion, selection=selection, n_select=3,
                                  combat=combat, inner_folds=2)
        model.set_params(**{k: 10 for k in model.get_params() if k.endswith("n_estimators")})  # small forests: fast
        X = table[columns]
        model.fit(X, y)
        path = tmp_path / f"{clf}-{selection}-{fusion}.skops"
        save_model({"model": model, "features": columns, "threshold": 0.5, "provenance": "abc"}, path)
        assert unknown_types(path) == [], (clf, selection, fusion)
        bundle = load_model(path)
        assert bundle["features"] == columns and bundle["provenance"] == "abc"
        np.testing.assert_array_equal(bundle["model"].predict_proba(X), model.predict_proba(X), err_msg=f"{clf} {selection} {fusion}")


def test_every_radiodeep_estimator_is_on_the_allow_list():
    classes = set()
    for info in pkgutil.iter_modules(radiodeep.model.__path__):
        module = importlib.import_module(f"radiodeep.model.{info.name}")
        classes |= {f"{obj.__module__}.{obj.__name__}" for _, obj in inspect.getmembers(module, inspect.isclass)
                    if issubclass(obj, BaseEstimator) and obj.__module__.startswith("radiodeep.")}
    assert classes and classes <= ALLOWED_TYPES, sorted(classes - ALLOWED_TYPES)
    assert not [t for t in ALLOWED_TYPES if t.split(".")[0] not in {"sklearn", "xgboost", "radiodeep", "numpy", "functools"}]


def test_crafted_skops_file_is_refused_and_creates_nothing(tmp_path):
    model, target = tmp_path / "evil.skops", tmp_path / "created_by_loading"
    crafted_skops(model, target)
    with pytest.raises(RadiodeepError, match=r"evil.skops: refused .*\['builtins.open'\]"):
        load_model(model)
    assert not target.exists()
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "any.csv"), "--model", str(model), "-o", str(tmp_path / "p.csv")])
    assert result.exit_code == 2 and "builtins.open" in result.output and not target.exists()
    assert not (tmp_path / "p.csv").exists()
    # the file is a real attack: trusting every type it names runs its code
    sio.load(model, trusted=sio.get_untrusted_types(file=model)).get("model").close()
    assert target.exists()


def test_pickle_refused_unless_trusted_with_a_warning(cohort, tmp_path, caplog):
    evil, target = tmp_path / "evil.joblib", tmp_path / "created_by_unpickling"
    joblib.dump({"model": _CreatesFileWhenUnpickled(target), "features": []}, evil)
    with pytest.raises(RadiodeepError, match=r"evil.joblib: is a pickle .*--trust-pickle"):
        load_model(evil)
    assert not target.exists()
    table, y, cols = cohort
    model, _ = build_pipeline("elasticnet", 0, selection="kbest", n_select=3)
    model.fit(table[cols["handcrafted"]], y)
    legacy = tmp_path / "legacy.joblib"
    joblib.dump({"model": model, "features": cols["handcrafted"], "threshold": 0.5}, legacy)
    table.to_csv(tmp_path / "new.csv", index=False)
    args = ["predict", str(tmp_path / "new.csv"), "--model", str(legacy), "-o", str(tmp_path / "pred.csv")]
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and "is a pickle (joblib) file" in refused.output and "--trust-pickle" in refused.output
    trusted = CliRunner().invoke(app, [*args, "--trust-pickle"])
    assert trusted.exit_code == 0, trusted.output
    assert "loading a pickle (joblib) model because --trust-pickle was given" in caplog.text
    scores = pd.read_csv(tmp_path / "pred.csv")["score"]
    np.testing.assert_allclose(scores, model.predict_proba(table[cols["handcrafted"]])[:, 1])


UNET = {"name": "UNet", "spatial_dims": 3, "in_channels": 1, "out_channels": 2, "channels": [4, 8], "strides": [2]}


def test_torch_checkpoints_refuse_a_crafted_pickle(tmp_path):
    torch = pytest.importorskip("torch")
    from radiodeep.embed.weights import load_weights
    from radiodeep.segment.checkpoint import build_network, load_checkpoint

    target = tmp_path / "created_by_torch_load"
    torch.save({"weight": _CreatesFileWhenUnpickled(target)}, tmp_path / "model.pt")
    (tmp_path / "model.json").write_text(json.dumps({"architecture": UNET}))
    with pytest.raises(RadiodeepError, match="model.pt cannot be read .*Weights only load failed"):
        load_checkpoint(tmp_path / "model.pt")
    with pytest.raises(RadiodeepError, match="model.pt cannot be read .*Weights only load failed"):
        load_weights(build_network(UNET), tmp_path / "model.pt")
    assert not target.exists()
