"""radiodeep's default classifier against plain baselines and published AUCs on radMLBench tables.

For each table in ``../shared/data/radmlbench_dev/tables`` (binary ``Target``, one row per patient):
the default (``auto``) and the two baselines radiodeep reports beside it (L1-logistic with inner
CV over C, random forest), all on the same repeated stratified 5-fold outer splits, scored as the
mean AUC over repeats; next to them the collection's published best-of-grid and TabPFN-64 AUCs
(10-fold CV, each picked as the best of several pipelines on the same folds: optimistic).

    PYTHONPATH=. nice -n 10 python bench/radmlbench.py [--tables Ahn2021 Fusco2022] [--repeats 3] [--jobs 2] [--members]

``--members`` fits each member of ``auto`` alone (same preprocessing, folds and seeds) and forms
``auto`` as the mean of their out-of-fold probabilities, which is what the ensemble computes
(tests/model/test_ensemble.py checks the equality), at no extra cost: each member's AUC is
printed beside it, the basis for choosing members without refitting the ensemble.

Last line: ``mean_radiodeep=<a> mean_best_baseline=<b> mean_tabpfn64=<c>`` (b: per table the better
baseline, measured in the same run; an optimistic bar, since it is picked per table).
"""

from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path

import pandas as pd

from radiodeep.evaluate.metrics import summarise_predictions
from radiodeep.model import build_pipeline, cross_validated_predictions, design_matrix
from radiodeep.model.ensemble import members_average
from radiodeep.model.pipelines import BASELINES, member_pipeline

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "radmlbench_dev"
MODELS = ("auto", *BASELINES)


def load(name: str) -> tuple:
    table = pd.read_csv(DATA / "tables" / f"{name}.gz")
    ids = table["ID"].astype(str) if "ID" in table else pd.Series([f"{name}-{i}" for i in range(len(table))])
    values = table.drop(columns=[c for c in ("ID", "Target") if c in table]).astype("float64")
    features = pd.concat([pd.DataFrame({"case_id": ids.to_numpy(), "patient_id": ids.to_numpy()}), values], axis=1)
    return design_matrix(features, pd.DataFrame({"case_id": ids, "label": table["Target"].astype(int)}), 5)


def score_table(name: str, folds: int, repeats: int, jobs: int, seed: int, members: bool = False) -> dict:
    X, y, groups, ids = load(name)
    row = {"table": name, "n": len(y), "p": X.shape[1], "pos": round(float(y.mean()), 2)}
    makers = {model: functools.partial(build_pipeline, model, seed, selection="none", pandas_output=False) for model in MODELS}
    if members:
        names = [n for n, _ in build_pipeline("auto", seed, selection="none", pandas_output=False)[0].named_steps["clf"].estimators]
        del makers["auto"]
        makers = {**{n: functools.partial(member_pipeline, n, seed) for n in names}, **makers}
    oofs = {}
    for model, make in makers.items():
        start = time.perf_counter()
        oofs[model] = cross_validated_predictions(X, y, groups, ids, make, n_splits=folds, n_repeats=repeats, inner_splits=3,
                                                  seed=seed, n_jobs=jobs, threshold=False)
        row[f"{model}_s"] = time.perf_counter() - start
    if members:
        oofs["auto"] = members_average([oofs[n] for n in names])
        row["auto_s"] = sum(row.pop(f"{n}_s") for n in names)
    for model, oof in oofs.items():
        summary = summarise_predictions(oof, n_boot=200, seed=seed)
        row[model] = summary["auc_repeat_mean"]
        row[f"{model}_sd"] = summary["auc_repeat_sd"]
    row["members"] = " ".join(f"{n} {row[n]:.3f}" for n in names) if members else ""
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="*", default=None)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--members", action="store_true", help="auto from its members fitted alone; print each member's AUC")
    args = parser.parse_args()
    published = pd.read_csv(DATA / "published_auc.csv").set_index("dataset")
    names = args.tables or sorted(p.name[:-3] for p in (DATA / "tables").glob("*.gz"))
    rows = []
    print("table n p pos | auto (sd) | baseline_l1 | baseline_rf | best_baseline | auto-best | grid tabpfn64 | seconds auto/l1/rf")
    for name in names:
        r = score_table(name, args.folds, args.repeats, args.jobs, args.seed, args.members)
        r["best_baseline"] = max(r[b] for b in BASELINES)
        r["best_of_grid"], r["tabpfn64"] = published.loc[name, "standard_best_of_grid"], published.loc[name, "tabpfn_64"]
        rows.append(r)
        print(f"{name} {r['n']} {r['p']} {r['pos']} | {r['auto']:.3f} ({r['auto_sd']:.3f}) | {r[BASELINES[0]]:.3f} | "
              f"{r[BASELINES[1]]:.3f} | {r['best_baseline']:.3f} | {r['auto'] - r['best_baseline']:+.3f} | "
              f"{r['best_of_grid']:.3f} {r['tabpfn64']:.3f} | {r['auto_s']:.0f}/{r[BASELINES[0] + '_s']:.0f}/{r[BASELINES[1] + '_s']:.0f}"
              + (f" | members: {r['members']}" if args.members else ""), flush=True)
    table = pd.DataFrame(rows)
    worst = table.loc[(table["auto"] - table["best_baseline"]).idxmin()]
    print(f"{len(table)} table(s), {args.folds} folds x {args.repeats} repeats, seed {args.seed}; "
          f"time auto / best-baseline pair: {table['auto_s'].sum() / table[[b + '_s' for b in BASELINES]].sum().sum():.2f}; "
          f"largest shortfall vs best baseline: {worst['table']} {worst['auto'] - worst['best_baseline']:+.3f}; "
          f"mean best_of_grid {table['best_of_grid'].mean():.3f}")
    print(f"mean_radiodeep={table['auto'].mean():.3f} mean_best_baseline={table['best_baseline'].mean():.3f} "
          f"mean_tabpfn64={table['tabpfn64'].mean():.3f}")


if __name__ == "__main__":
    main()
