# Preprocess in the ingest batches: preprocess_<i> reads ingest_<i>'s record and images, writes
# results/preprocess/{case}/{image,mask}.nii (uncompressed, internal) per case and the batch record
# results/preprocess/batches/preprocess_<i>.json. Cases that failed ingest (on_error: skip)
# are recorded failed, not run. Downstream rules depend on the records (preprocessed()).

# The preprocess settings, built here only; the adapter takes the spacing from the plan.
PREPROCESS_SETTINGS = {
    "modality": config["modality"],
    "spacing": config["preprocess"]["spacing"],
    "interpolator": config["preprocess"]["interpolator"],
    "mr_reference": config["preprocess"]["mr_reference"],
}
PREPROCESS_RECORD = {
    c: f"results/preprocess/batches/{name.replace('ingest', 'preprocess')}.json"
    for name, batch in INGEST_BATCHES.items()
    for c in batch
}
PREPROCESSED_IMAGE = "results/preprocess/{case}/image.nii"
PREPROCESSED_MASK = "results/preprocess/{case}/mask.nii"


for name, batch in INGEST_BATCHES.items():
    name = name.replace("ingest", "preprocess")

    rule:
        name:
            name
        input:
            ingested=INGEST_RECORD[batch[0]],
            plan=PLAN_OF[batch[0]],
        output:
            f"results/preprocess/batches/{name}.json",
        log:
            f"results/logs/preprocess/{name}.log",
        benchmark:
            f"results/benchmarks/preprocess/{name}.tsv"
        # every preprocess batch before any radiomics batch: run in between, a late preprocess
        # batch left its radiomics batch alone on one core at the end (11 s of 150 at 1,020 cases)
        priority: 1
        conda:
            "../envs/radiodeep.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10 + len(batch),
        params:
            cases=[
                {"case_id": c, "has_reference_mask": bool(MANIFEST.at[c, "mask"])}
                for c in batch
            ],
            settings={**PREPROCESS_SETTINGS, "modality": UNIT_MODALITY[batch[0]]},
            on_error=config["on_error"],
        script:
            "../scripts/preprocess.py"


rule preprocess_qc:
    input:
        sorted(set(PREPROCESS_RECORD.values())),
    output:
        "results/preprocess/qc.csv",
    log:
        "results/logs/preprocess_qc.log",
    benchmark:
        "results/benchmarks/preprocess_qc.tsv"
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/preprocess_qc.py"
