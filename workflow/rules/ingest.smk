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
    script:
        "../scripts/ingest.py"
