from radiodeep.radiomics.presets import params_from_config


rule radiomics:
    input:
        image="results/preprocess/{case}/image.nii.gz",
        mask=lambda wc: RADIOMICS_MASK[wc.case],
    output:
        "results/radiomics/{case}.json",
    log:
        "results/logs/radiomics/{case}.log",
    benchmark:
        "results/benchmarks/radiomics/{case}.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: config["radiomics"]["workers"]
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        pyradiomics=params_from_config(config["radiomics"], config["modality"]),
        on_error=config["on_error"],
        mode=config["radiomics"]["mode"],
        labels=config["radiomics"]["labels"],
    script:
        "../scripts/radiomics.py"


# mask_source both: the same extraction on the U-Net's masks of the labelled cases.
use rule radiomics as radiomics_predicted with:
    input:
        image="results/preprocess/{case}/image.nii.gz",
        mask=PREDICTED_MASK,
    output:
        "results/radiomics/predicted/{case}.json",
    log:
        "results/logs/radiomics/predicted/{case}.log",
    benchmark:
        "results/benchmarks/radiomics/predicted/{case}.tsv"
