# radiodeep: manifest -> ingest -> preprocess -> radiomics -> features -> model -> evaluate -> report
from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/images.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/plan.smk"
include: "workflow/rules/preprocess.smk"
include: "workflow/rules/segment.smk"
include: "workflow/rules/radiomics.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/embed.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/survival.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/cluster.smk"


rule all:
    default_target: True
    input:
        "results/features/radiomics.parquet",
        "results/evaluation/metrics.csv",
        "results/evaluation/roc.png",
        "results/provenance.json",
        PLAN_FILES,
        IMAGE_TARGETS,
        "results/ingest/qc.csv",
        expand("results/report/{table}.html", table=REPORT_TABLES),
        REPORT_TARGETS,
        SEGMENT_TARGETS,
        SURVIVAL_TARGETS,
        (
            "results/features/stability.csv"
            if config["segment"]["mask_source"] == "both"
            else []
        ),
