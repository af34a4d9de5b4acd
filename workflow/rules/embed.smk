# Deep features: one batched job embeds every case (a network loads once), then one table.
# The unet-encoder backbone needs results/segmentation/model.pt (rule train_segmenter).
# Several images per case: one embed job per image name (embed_<image_name>: its modality, plan
# and, for unet-encoder, its own U-Net), then deep.parquet (cases with every image) and
# deep_<image_name>.parquet per image (the model's deep_<image_name> sources).
from radiodeep.embed.settings import (
    embed_network_files,
    embed_settings,
    image_embed_settings,
)

EMBED = embed_settings(config)
IMAGE_DEEP_TABLES = {
    f"deep_{g}": f"results/features/deep_{g}.parquet" for g in IMAGE_NAMES
}


for _group, _units in IMAGE_GROUPS.items():
    _settings = (
        image_embed_settings(EMBED, f"{segmentation_dir(_group)}/model.pt")
        if _group
        else EMBED
    )
    _suffix = f"_{_group}" if _group else ""

    rule:
        name:
            f"embed{_suffix}"
        input:
            **embed_network_files(_settings),
            preprocessed=preprocessed(_units),
            masks=declared([RADIOMICS_MASK[c] for c in _units]),
            plan=PLAN_OF[_units[0]],
        output:
            f"results/embed/batches/embed{_suffix}.json",  # each case's JSON (records.py: snakemake#4240)
        log:
            f"results/logs/embed{_suffix}.log",
        benchmark:
            f"results/benchmarks/embed{_suffix}.tsv"
        conda:
            "../envs/radiodeep.yaml"
        threads: 2
        resources:
            mem_mb=8000,
            runtime=60,
        params:
            cases=_units,
            outputs=expand("results/embed/{case}.json", case=_units),
            images=expand(PREPROCESSED_IMAGE, case=_units),
            masks=[RADIOMICS_MASK[c] for c in _units],
            settings=_settings,
            modality=UNIT_MODALITY[_units[0]],
            seed=config["seed"],
            on_error=config["on_error"],
        script:
            "../scripts/embed.py"


rule deep_features:
    input:
        [
            f"results/embed/batches/embed{f'_{g}' if g else ''}.json"
            for g in IMAGE_GROUPS
        ],
    output:
        parquet="results/features/deep.parquet",
        csv=report(
            "results/features/deep.csv",
            caption="../report/deep.rst",
            category="Features",
        ),
        dictionary="results/features/deep_dictionary.csv",
        images=list(IMAGE_DEEP_TABLES.values()),  # deep_<image_name>.parquet
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
        modality=config["modality"],
        cases=CASES,
    script:
        "../scripts/deep_features.py"
