# Provenance (written before any table, which then records its hash) and the report's items.
# Every table a reader should see is rendered as an HTML page: Snakemake's report shows images
# and HTML inline but a CSV only as a download. Stages add entries to these two dicts.
import sys
from pathlib import Path

from radiodeep.errors import RadiodeepError
from radiodeep.report.inputs import results_page_inputs
from radiodeep.report.run import check_report_config

QC_TABLES = (
    [
        "results/ingest/qc.csv",
        "results/preprocess/qc.csv",
        "results/features/qc.csv",
    ]
    + (["results/ingest/cross_image_qc.csv"] if MULTI_IMAGE else [])
    + (
        ["results/features/stability_qc.csv"]
        if config["segment"]["mask_source"] == "both"
        else []
    )
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
if MULTI_IMAGE:
    REPORT_TABLES["cross_image_qc"] = {
        "csv": "results/ingest/cross_image_qc.csv",
        "category": "QC",
        "title": "Cross-image QC: mask centroid distance and volume ratio between each case's images",
    }
if len(IMAGE_NAMES) > 1:
    REPORT_TABLES["image_ablation"] = {
        "csv": "results/evaluation/image_ablation.csv",
        "category": "Evaluation",
        "title": "Ablation: each image alone, fused, clinical, clinical + imaging (DeLong vs the best single image)",
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

# The results page (results/summary.html) and its pictures.
RESULTS_PAGE = "results/summary.html"
OVERLAY_CASES = LABELLED if SEGMENT_ON else []
REPORT_TARGETS = [
    RESULTS_PAGE,
    *(
        [
            "results/report/contact_sheet.png",
            "results/report/segmentation_distributions.png",
        ]
        if SEGMENT_ON
        else []
    ),
    *(
        ["results/report/icc_by_family.png"]
        if config["segment"]["mask_source"] == "both"
        else []
    ),
]
# `snakemake --report` describes the run that made the results, or refuses (issue 21).
if any(a == "--report" or a.startswith("--report=") for a in sys.argv[1:]):
    try:
        check_report_config(config, "results/provenance.json")
    except RadiodeepError as error:
        sys.exit(f"radiodeep: {error}")


rule summary:
    input:
        unpack(
            lambda wc: results_page_inputs(
                MANIFEST_PATH,
                SEGMENT_ON,
                config["segment"]["mask_source"] == "both",
                # a file some rule makes: a stage added later joins the page by itself
                lambda p: os.path.exists(p)
                or any(r.is_producer(p) for r in workflow.rules),
            )
        ),
    output:
        html=report(
            RESULTS_PAGE,
            caption="../report/summary.rst",
            category="Results",
        ),
        null="results/report/permutation_null.png",
    log:
        "results/logs/report/summary.log",
    benchmark:
        "results/benchmarks/report/summary.tsv"
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        min_dice=config["segment"]["min_dice"],
    script:
        "../scripts/report_summary.py"


rule segmentation_overlays:
    input:
        dice="results/segmentation/dice.csv",
        preprocessed=preprocessed(OVERLAY_CASES),  # batch records; the images are in params
        predicted=expand(PREDICTED_MASK, case=OVERLAY_CASES),
    output:
        sheet=report(
            "results/report/contact_sheet.png",
            caption="../report/contact_sheet.rst",
            category="Segmentation",
        ),
        distributions=report(
            "results/report/segmentation_distributions.png",
            caption="../report/segmentation_distributions.rst",
            category="Segmentation",
        ),
        cases=expand("results/report/overlays/{case}.png", case=OVERLAY_CASES),
    log:
        "results/logs/report/segmentation_overlays.log",
    benchmark:
        "results/benchmarks/report/segmentation_overlays.tsv"
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        cases=OVERLAY_CASES,
        images=expand(PREPROCESSED_IMAGE, case=OVERLAY_CASES),
        references=expand(PREPROCESSED_MASK, case=OVERLAY_CASES),
        min_dice=config["segment"]["min_dice"],
    script:
        "../scripts/report_overlays.py"


rule stability_figure:
    input:
        "results/features/stability.csv",
    output:
        report(
            "results/report/icc_by_family.png",
            caption="../report/icc_by_family.rst",
            category="Features",
        ),
    log:
        "results/logs/report/stability_figure.log",
    benchmark:
        "results/benchmarks/report/stability_figure.tsv"
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        icc_threshold=config["model"]["icc_threshold"],
    script:
        "../scripts/report_stability.py"


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
        # a network trains or runs: the U-Net, or deep features for a model (torch recorded)
        torch_used=SEGMENT_ON or any(n.startswith("deep") for n in MODEL_SOURCES),
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
    params:
        manifest=MANIFEST_PATH,
        label=config["label"],
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
