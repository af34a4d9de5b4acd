rule features:
    input:
        records=expand("results/radiomics/{case}.json", case=CASES),
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
    script:
        "../scripts/features.py"
