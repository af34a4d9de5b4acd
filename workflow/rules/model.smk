FEATURE_TABLES = {"handcrafted": "results/features/radiomics.parquet"}


rule model:
    input:
        [FEATURE_TABLES[name] for name in config["model"]["feature_sets"]],
    output:
        "results/evaluation/oof_predictions.csv",
    log:
        "results/logs/model.log",
    benchmark:
        "results/benchmarks/model.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        tables={name: FEATURE_TABLES[name] for name in config["model"]["feature_sets"]},
        manifest=MANIFEST_PATH,
        label=config["label"],
        classifiers=config["model"]["classifiers"],
        folds=config["model"]["folds"],
        repeats=config["model"]["repeats"],
        inner_folds=config["model"]["inner_folds"],
        seed=config["seed"],
    script:
        "../scripts/model.py"


rule evaluate:
    input:
        "results/evaluation/oof_predictions.csv",
    output:
        metrics=report(
            "results/evaluation/metrics.csv",
            caption="../report/metrics.rst",
            category="Evaluation",
        ),
        png=report(
            "results/evaluation/roc.png",
            caption="../report/roc.rst",
            category="Evaluation",
        ),
        svg="results/evaluation/roc.svg",
    log:
        "results/logs/evaluate.log",
    benchmark:
        "results/benchmarks/evaluate.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        n_bootstrap=config["evaluate"]["n_bootstrap"],
        seed=config["seed"],
    script:
        "../scripts/evaluate.py"
