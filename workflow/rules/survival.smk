# Time-to-event models (rule survival: only when survival.endpoints names time/event columns)
# and the clinical-vs-imaging ablation of the binary label (rule clinical_ablation: survival.ablation).
from radiodeep.manifest import read_manifest

SURVIVAL = config["survival"]
SURVIVAL_SOURCES = sorted(
    {s for fs in SURVIVAL["feature_sets"] for s in fs.split("+")} - {"clinical"}
)
if SURVIVAL["endpoints"]:  # time <= 0, text, event not 0/1: one message before any job
    read_manifest(
        MANIFEST_PATH,
        label=config["label"],
        check_files=False,
        survival=[(e["time"], e["event"]) for e in SURVIVAL["endpoints"].values()],
    )
SURVIVAL_TARGETS = (
    ["results/evaluation/survival_metrics.csv", "results/evaluation/survival_km.png"]
    if SURVIVAL["endpoints"]
    else []
) + (["results/evaluation/clinical_ablation.csv"] if SURVIVAL["ablation"] else [])


rule survival:
    input:
        tables=[FEATURE_TABLES[name] for name in SURVIVAL_SOURCES],
        provenance="results/provenance.json",
    output:
        metrics=report(
            "results/evaluation/survival_metrics.csv",
            caption="../report/survival.rst",
            category="Survival",
        ),
        km=report(
            "results/evaluation/survival_km.png",
            caption="../report/survival_km.rst",
            category="Survival",
        ),
        other=[
            f"results/evaluation/survival_{name}"
            for name in (
                "km.svg",
                "km.csv",
                "oof_risk.csv",
                "null.csv",
                "coefficients.csv",
            )
        ],
    log:
        "results/logs/survival.log",
    benchmark:
        "results/benchmarks/survival.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        tables={name: FEATURE_TABLES[name] for name in SURVIVAL_SOURCES},
        manifest=MANIFEST_PATH,
        label=config["label"],
        settings=SURVIVAL,
        seed=config["seed"],
    script:
        "../scripts/survival.py"


rule clinical_ablation:
    input:
        table=FEATURE_TABLES["handcrafted"],
        provenance="results/provenance.json",
    output:
        metrics=report(
            "results/evaluation/clinical_ablation.csv",
            caption="../report/clinical_ablation.rst",
            category="Evaluation",
        ),
        delta="results/evaluation/clinical_ablation_delta.csv",
        oof="results/evaluation/clinical_ablation_oof.csv",
    log:
        "results/logs/clinical_ablation.log",
    benchmark:
        "results/benchmarks/clinical_ablation.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        manifest=MANIFEST_PATH,
        label=config["label"],
        clinical=SURVIVAL["clinical"],
        model=config["model"],
        folds_planned=MODEL_FOLDS[1] == "planned",
        n_bootstrap=config["evaluate"]["n_bootstrap"],
        seed=config["seed"],
    script:
        "../scripts/clinical_ablation.py"
