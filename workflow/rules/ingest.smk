rule ingest:
    input:
        unpack(case_inputs),
    output:
        image="results/ingest/{case}/image.nii.gz",
        mask="results/ingest/{case}/mask.nii.gz",
        header="results/ingest/{case}/header.json",
    log:
        "results/logs/ingest/{case}.log",
    benchmark:
        "results/benchmarks/ingest/{case}.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        roi=case_field("roi"),
        series_uid=case_field("series_uid"),
        modality=config["modality"],
        settings=config["ingest"],
    script:
        "../scripts/ingest.py"


rule ingest_qc:
    input:
        expand("results/ingest/{case}/header.json", case=CASES),
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
