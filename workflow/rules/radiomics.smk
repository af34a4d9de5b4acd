# Radiomics in batches: one job extracts radiomics.batch_size cases (split evenly) in one
# process with one pyradiomics extractor, still writing results/radiomics/{case}.json per
# case; a job per case would spend more on starting Python than on pyradiomics. Batch rules
# are named radiomics_<i> (radiomics_predicted_<i>: U-Net masks, mask_source both). A job's one
# declared output is its batch record results/radiomics/[predicted/]batches/<rule>.json (each
# case's file and SHA-256, radiodeep/records.py): per-case outputs made Snakemake hash the
# batch's inputs once per case (snakemake/snakemake#4240), quadratic in the batch size.
from radiodeep.radiomics.batches import even_batches
from radiodeep.radiomics.presets import params_from_config

RADIOMICS_CONFIG = config["radiomics"]
RADIOMICS_PYRADIOMICS = params_from_config(RADIOMICS_CONFIG, config["modality"])


def radiomics_jobs():
    """(rule name, cases, masks, output folder) per batch. Cases with U-Net masks are batched
    apart from those with reference masks, which then need not wait for the U-Net."""
    predicted = [c for c in CASES if RADIOMICS_MASK[c] == PREDICTED_MASK.format(case=c)]
    pools = [
        ("radiomics", [c for c in CASES if c not in predicted], RADIOMICS_MASK, ""),
        ("radiomics", predicted, RADIOMICS_MASK, ""),
        (
            "radiomics_predicted",
            LABELLED,
            {c: PREDICTED_MASK.format(case=c) for c in LABELLED},
            "predicted/",
        ),
    ]
    counts = {}
    for name, cases, masks, sub in pools:
        groups = [[c for c in units if c in cases] for units in IMAGE_GROUPS.values()]
        for batch in (
            b
            for g in groups
            for b in even_batches(
                g, batch_size(RADIOMICS_CONFIG["batch_size"], len(g)), batch_cores()
            )
        ):  # one image name (modality) per batch
            counts[name] = counts.get(name, 0) + 1
            yield f"{name}_{counts[name]}", batch, [masks[c] for c in batch], sub


RADIOMICS_JSON = "results/radiomics/{sub}{case}.json"
RADIOMICS_RECORD = {}  # (sub, case) -> the batch record that lists the case's JSON


def radiomics_records(cases, sub=""):
    """The batch records of ``cases`` (sub ``predicted/``: features on the U-Net's masks)."""
    return sorted({RADIOMICS_RECORD[sub, c] for c in cases})


def radiomics_jsons(cases, sub=""):
    return [RADIOMICS_JSON.format(sub=sub, case=c) for c in cases]


for name, batch, masks, sub in radiomics_jobs():
    RADIOMICS_RECORD.update(
        {(sub, c): f"results/radiomics/{sub}batches/{name}.json" for c in batch}
    )

    rule:
        name:
            name
        input:
            preprocessed=preprocessed(batch),
            masks=declared(masks),
            plan=PLAN_OF[batch[0]],
        output:
            f"results/radiomics/{sub}batches/{name}.json",
        log:
            f"results/logs/radiomics/{sub}{name}.log",
        benchmark:
            f"results/benchmarks/radiomics/{sub}{name}.tsv"
        conda:
            "../envs/radiodeep.yaml"
        threads: RADIOMICS_CONFIG["workers"]
        resources:
            mem_mb=2000,
            runtime=10 + 5 * len(batch),
        params:
            cases=batch,
            outputs=radiomics_jsons(batch, sub),
            images=[PREPROCESSED_IMAGE.format(case=c) for c in batch],
            masks=masks,
            pyradiomics=params_from_config(RADIOMICS_CONFIG, UNIT_MODALITY[batch[0]]),
            on_error=config["on_error"],
            mode=RADIOMICS_CONFIG["mode"],
            labels=RADIOMICS_CONFIG["labels"],
            predicted=[
                c for c, m in zip(batch, masks) if m == PREDICTED_MASK.format(case=c)
            ],
        script:
            "../scripts/radiomics.py"
