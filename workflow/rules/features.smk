rule features:
    input:
        records=radiomics_records(CASES),  # radiomics.smk: batch records
        provenance="results/provenance.json",
    output:
        parquet="results/features/radiomics.parquet",
        csv=report(
            "results/features/radiomics.csv",
            caption="../report/radiomics.rst",
            category="Features",
        ),
        long="results/features/features_long.parquet",
        dictionary="results/features/dictionary.csv",
        qc=report("results/features/qc.csv", caption="../report/qc.rst", category="QC"),
        images=list(IMAGE_FEATURE_TABLES.values()),  # radiomics_<image_name>.parquet
    log:
        "results/logs/features.log",
    benchmark:
        "results/benchmarks/features.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        manifest=MANIFEST_PATH,
        label=config["label"],
        modality=config["modality"],
        mode=config["radiomics"]["mode"],
        cases=CASES,
    script:
        "../scripts/features.py"


rule feature_stability:
    input:
        reference=radiomics_records(LABELLED),
        predicted=radiomics_records(LABELLED, "predicted/"),
    output:
        table=report(
            "results/features/stability.csv",
            caption="../report/stability.rst",
            category="Features",
        ),
        qc="results/features/stability_qc.csv",
    log:
        "results/logs/feature_stability.log",
    benchmark:
        "results/benchmarks/feature_stability.tsv"
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        manifest=MANIFEST_PATH,
        label=config["label"],
        min_icc=config["segment"]["min_icc"],
        cases=LABELLED,
    script:
        "../scripts/feature_stability.py"
