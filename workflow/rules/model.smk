FEATURE_TABLES = {
    "handcrafted": "results/features/radiomics.parquet",
    "deep": "results/features/deep.parquet",
    **IMAGE_FEATURE_TABLES,  # handcrafted_<image_name> (images.smk)
    **IMAGE_DEEP_TABLES,  # deep_<image_name> (embed.smk)
}
FUSION_SETS = ("early_fusion", "late_fusion")
MODEL_SOURCES = [
    name
    for name in FEATURE_TABLES
    if name in config["model"]["feature_sets"]
    or (
        name in config["model"]["fusion_sources"]
        and set(FUSION_SETS) & set(config["model"]["feature_sets"])
    )
]
STABILITY = config["model"]["stability"]
EVALUATION_FIGURES = ("roc", "calibration", "decision_curve")


rule model:
    input:
        tables=[FEATURE_TABLES[name] for name in MODEL_SOURCES],
        stability=(
            [STABILITY]
            if os.path.exists(STABILITY)
            or (
                config["segment"]["mask_source"] == "both"
                and STABILITY == "results/features/stability.csv"
            )
            else []
        ),
        provenance="results/provenance.json",
    output:
        oof="results/evaluation/oof_predictions.csv",
        null="results/evaluation/permutation_null.csv",
        test="results/evaluation/test_predictions.csv",
        importance=report(
            "results/evaluation/importance.csv",
            caption="../report/importance.rst",
            category="Evaluation",
        ),
        models=expand(
            "results/models/{feature_set}-{classifier}.skops",
            feature_set=config["model"]["feature_sets"],
            classifier=config["model"]["classifiers"],
        ),
    log:
        "results/logs/model.log",
    benchmark:
        "results/benchmarks/model.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        tables={name: FEATURE_TABLES[name] for name in MODEL_SOURCES},
        manifest=MANIFEST_PATH,
        label=config["label"],
        settings=config["model"],
        folds_planned=MODEL_FOLDS[1] == "planned",  # common.smk: fewer for a table that needs it
        seed=config["seed"],
    script:
        "../scripts/model.py"


rule evaluate:
    input:
        oof="results/evaluation/oof_predictions.csv",
        null="results/evaluation/permutation_null.csv",
        test="results/evaluation/test_predictions.csv",
        importance="results/evaluation/importance.csv",
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
        delong=report(
            "results/evaluation/delong.csv",
            caption="../report/delong.rst",
            category="Evaluation",
        ),
        calibration=report(
            "results/evaluation/calibration.png",
            caption="../report/calibration.rst",
            category="Evaluation",
        ),
        decision=report(
            "results/evaluation/decision_curve.png",
            caption="../report/decision_curve.rst",
            category="Evaluation",
        ),
        importance=report(
            "results/evaluation/importance.png",
            caption="../report/importance.rst",
            category="Evaluation",
        ),
        other=[
            "results/evaluation/decision_curve.csv",
            *[f"results/evaluation/{fig}.svg" for fig in EVALUATION_FIGURES],
        ],
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
        outdir=lambda wildcards, output: os.path.dirname(output.metrics),
        n_bootstrap=config["evaluate"]["n_bootstrap"],
        seed=config["seed"],
    script:
        "../scripts/evaluate.py"
