# Ingest in batches: one job reads ingest.batch_size cases (auto: one batch per core, 30-250
# cases; split evenly over --cores) in one
# process and writes results/ingest/{case}/{image,mask}.nii (uncompressed) + header.json per case and one
# batch record, results/ingest/batches/ingest_<i>.json (per case ok + SHA-256 of its files, or
# failed + reason): the job's only declared output (radiodeep/records.py says why).
from radiodeep.radiomics.batches import even_batches

INGEST_BATCHES = {
    f"ingest_{i}": batch
    for i, batch in enumerate(
        (  # batches of one image name each (images.smk): one modality per batch
            b
            for units in IMAGE_GROUPS.values()
            for b in even_batches(
                units,
                batch_size(config["ingest"]["batch_size"], len(units)),
                batch_cores(),
            )
        ),
        start=1,
    )
}
INGEST_RECORD = {
    c: f"results/ingest/batches/{name}.json"
    for name, batch in INGEST_BATCHES.items()
    for c in batch
}
INGEST_SETTINGS = {
    k: v for k, v in config["ingest"].items() if k not in ("roi", "batch_size")
}


for name, batch in INGEST_BATCHES.items():

    rule:
        name:
            name
        input:
            images=[MANIFEST.at[c, "image"] for c in batch],
            masks=[MANIFEST.at[c, "mask"] for c in batch if MANIFEST.at[c, "mask"]],
        output:
            f"results/ingest/batches/{name}.json",
        log:
            f"results/logs/ingest/{name}.log",
        benchmark:
            f"results/benchmarks/ingest/{name}.tsv"
        # before provenance (which waits for nothing and is needed last): every core on ingest
        priority: 1
        group:
            "case"  # SLURM: --group-components case=N packs N batches in one job
        conda:
            "../envs/radiodeep.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10 + len(batch),
        params:
            cases=ingest_rows(batch),
            modality=UNIT_MODALITY[batch[0]],
            settings=INGEST_SETTINGS,
            default_roi=config["ingest"]["roi"],
            on_error=config["on_error"],
        script:
            "../scripts/ingest.py"


rule ingest_qc:
    input:
        sorted(set(INGEST_RECORD.values())),
    output:
        report(
            "results/ingest/qc.csv",
            caption="../report/ingest_qc.rst",
            category="QC",
        ),
    log:
        "results/logs/ingest_qc.log",
    benchmark:
        "results/benchmarks/ingest_qc.tsv"
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../scripts/ingest_qc.py"
