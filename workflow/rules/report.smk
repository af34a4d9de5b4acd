rule provenance:
    input:
        "results/features/radiomics.parquet",
    output:
        report(
            "results/provenance.json",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    log:
        "results/logs/provenance.log",
    conda:
        "../envs/radiodeep.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        config=config,
        manifest=MANIFEST_PATH,
        label=config["label"],
        repo=workflow.basedir,
    script:
        "../scripts/provenance.py"
