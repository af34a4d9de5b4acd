# The cohort plan: every setting left `auto` planned from the ingested cohort (results/plan.json).
from radiodeep.radiomics.presets import discretisation_is_set


rule plan:
    input:
        ingested=sorted(set(INGEST_RECORD.values())),  # batch records (ingest.smk)
    output:
        report("results/plan.json", caption="../report/plan.rst", category="Plan"),
    log:
        "results/logs/plan.log",
    benchmark:
        "results/benchmarks/plan.tsv"
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        cases=CASES,
        images=expand("results/ingest/{case}/image.nii.gz", case=CASES),
        masks=expand("results/ingest/{case}/mask.nii.gz", case=CASES),
        config={
            k: config[k]
            for k in ("modality", "seed", "preprocess", "segment", "embed")
        },
        bin_width=RADIOMICS_PARAMS["setting"].get("binWidth"),
        bin_width_set=discretisation_is_set(config["radiomics"], config["modality"]),
        folds=MODEL_FOLDS,
    script:
        "../scripts/plan.py"
