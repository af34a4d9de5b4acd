rule radiomics:
    input:
        image="results/preprocess/{case}/image.nii.gz",
        mask="results/preprocess/{case}/mask.nii.gz",
    output:
        "results/radiomics/{case}.json",
    log:
        "results/logs/radiomics/{case}.log",
    benchmark:
        "results/benchmarks/radiomics/{case}.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        pyradiomics=RADIOMICS_PARAMS,
        on_error=config["on_error"],
    script:
        "../scripts/radiomics.py"
