# Provenance (written before any table, which then records its hash) and the report's items.
# Every table a reader should see is rendered as an HTML page: Snakemake's report shows images
# and HTML inline but a CSV only as a download. Stages add entries to these two dicts.
from pathlib import Path

QC_TABLES = [
    "results/ingest/qc.csv",
    "results/preprocess/qc.csv",
    "results/features/qc.csv",
] + (
    ["results/features/stability_qc.csv"]
    if config["segment"]["mask_source"] == "both"
    else []
)
REPORT_TABLES = {
    "metrics": {
        "csv": "results/evaluation/metrics.csv",
        "category": "Evaluation",
        "title": "Metrics: AUC with 95% CI per feature set and classifier",
    },
    "excluded_cases": {
        "csv": "results/report/excluded_cases.csv",
        "category": "QC",
        "title": "Excluded cases and reasons",
        "empty": "None: every case passed quality control.",
    },
    "provenance": {
        "csv": "results/report/provenance.csv",
        "category": "Provenance",
        "title": "Provenance: what produced this run",
    },
    "delong": {
        "csv": "results/evaluation/delong.csv",
        "category": "Evaluation",
        "title": "DeLong paired tests: each fused model against each single-source model",
        "empty": "No fused model in this run (model.feature_sets has no early_fusion or late_fusion).",
    },
    "ingest_qc": {
        "csv": "results/ingest/qc.csv",
        "category": "QC",
        "title": "Acquisition and geometry per case (de-identified)",
    },
}
if SEGMENT_ON:
    REPORT_TABLES["dice"] = {
        "csv": "results/segmentation/dice.csv",
        "category": "Segmentation",
        "title": "U-Net out-of-fold Dice, HD95 and volumes per case, beside the 40%-SUVmax baseline",
    }
if config["segment"]["mask_source"] == "both":
    REPORT_TABLES["stability"] = {
        "csv": "results/features/stability.csv",
        "category": "Features",
        "title": "Feature stability: ICC(3,1) between reference and U-Net masks",
    }


rule provenance:
    input:
        manifest=MANIFEST_PATH,
        images=list(MANIFEST["image"]),
        masks=[m for m in MANIFEST["mask"] if m],
    output:
        report(
            "results/provenance.json",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    log:
        "results/logs/provenance.log",
    benchmark:
        "results/benchmarks/provenance.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        config=config,
        label=config["label"],
        repo=lambda wc: workflow.basedir,  # for its git commit
    script:
        "../scripts/provenance.py"


rule provenance_table:
    input:
        "results/provenance.json",
    output:
        "results/report/provenance.csv",
    log:
        "results/logs/report/provenance_table.log",
    benchmark:
        "results/benchmarks/report/provenance_table.tsv"
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/provenance_table.py"


rule excluded_cases:
    input:
        QC_TABLES,
    output:
        "results/report/excluded_cases.csv",
    log:
        "results/logs/report/excluded_cases.log",
    benchmark:
        "results/benchmarks/report/excluded_cases.tsv"
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/excluded_cases.py"


rule report_table:
    input:
        lambda wc: REPORT_TABLES[wc.table]["csv"],
    output:
        report(
            "results/report/{table}.html",
            caption="../report/table.rst",
            category=lambda wc: REPORT_TABLES[wc.table]["category"],
        ),
    log:
        "results/logs/report/{table}.log",
    benchmark:
        "results/benchmarks/report/{table}.tsv"
    wildcard_constraints:
        table="|".join(REPORT_TABLES),
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=500,
        runtime=5,
    params:
        title=lambda wc: REPORT_TABLES[wc.table]["title"],
        caption=lambda wc: Path(
            workflow.basedir, "workflow", "report", f"{wc.table}.rst"
        ).read_text(),
        empty=lambda wc: REPORT_TABLES[wc.table].get("empty", "No rows."),
    script:
        "../scripts/report_table.py"
