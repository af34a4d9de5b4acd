rule preprocess:
    input:
        image="results/ingest/{case}/image.nii.gz",
        mask="results/ingest/{case}/mask.nii.gz",
        plan="results/plan.json",
    output:
        image="results/preprocess/{case}/image.nii.gz",
        mask="results/preprocess/{case}/mask.nii.gz",
    log:
        "results/logs/preprocess/{case}.log",
    benchmark:
        "results/benchmarks/preprocess/{case}.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        has_reference_mask=lambda wc: bool(MANIFEST.at[wc.case, "mask"]),
        modality=config["modality"],
        interpolator=config["preprocess"]["interpolator"],
        mr_reference=config["preprocess"]["mr_reference"],
    script:
        "../scripts/preprocess.py"
