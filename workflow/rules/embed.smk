# Deep features: one batched job embeds every case (a network loads once), then one table.
# The unet-encoder backbone needs results/segmentation/model.pt (rule train_segmenter).
from radiodeep.embed.settings import embed_network_files, embed_settings

EMBED = embed_settings(config)
EMBED_FILES = embed_network_files(EMBED)


rule embed:
    input:
        **EMBED_FILES,
        preprocessed=preprocessed(CASES),
        masks=declared([RADIOMICS_MASK[c] for c in CASES]),
        plan="results/plan.json",
    output:
        expand("results/embed/{case}.json", case=CASES),
    log:
        "results/logs/embed.log",
    benchmark:
        "results/benchmarks/embed.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        cases=CASES,
        images=expand(PREPROCESSED_IMAGE, case=CASES),
        masks=[RADIOMICS_MASK[c] for c in CASES],
        settings=EMBED,
        modality=config["modality"],
        seed=config["seed"],
        on_error=config["on_error"],
    script:
        "../scripts/embed.py"


rule deep_features:
    input:
        expand("results/embed/{case}.json", case=CASES),
    output:
        parquet="results/features/deep.parquet",
        csv=report(
            "results/features/deep.csv",
            caption="../report/deep.rst",
            category="Features",
        ),
        dictionary="results/features/deep_dictionary.csv",
    log:
        "results/logs/deep_features.log",
    benchmark:
        "results/benchmarks/deep_features.tsv"
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        manifest=MANIFEST_PATH,
        label=config["label"],
        config_hash=CONFIG_HASH,
    script:
        "../scripts/deep_features.py"
