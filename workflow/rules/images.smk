# Several images per case (manifest image_name; README "Several images per case"): each row is a
# unit <case_id>__<image_name> that ingest, preprocess and radiomics run as a case of its own,
# batched and planned per image name (its own modality, preset and results/plan/<image>.json);
# mask_from carries a mask over (rule carry_mask); cross_image_qc compares a case's masks;
# image_ablation tabulates each image against the fused sets. A one-image manifest: one group.
from radiodeep.manifest_images import (
    IMAGE_NAME,
    PARENT,
    image_groups,
    unit_id,
    unit_modalities,
)

IMAGE_GROUPS = image_groups(MANIFEST)  # {"": CASES} for a one-image manifest
MULTI_IMAGE = PARENT in MANIFEST
IMAGE_NAMES = [g for g in IMAGE_GROUPS if g]
UNIT_MODALITY = unit_modalities(MANIFEST, config["modality"])
PLAN_OF = {
    c: f"results/plan/{g}.json" if g else "results/plan.json"
    for g, units in IMAGE_GROUPS.items()
    for c in units
}
PLAN_FILES = sorted(set(PLAN_OF.values()))
IMAGE_FEATURE_TABLES = {
    f"handcrafted_{g}": f"results/features/radiomics_{g}.parquet" for g in IMAGE_NAMES
}
CARRIED_MASK = "results/carried/{case}/mask.nii.gz"
CARRIED = list(MANIFEST.index[MANIFEST["mask_from"] != ""]) if MULTI_IMAGE else []
_CARRY_SOURCE = {}
# the unit whose mask is carried over, then ingest reads the carried file
for _u in CARRIED:
    _CARRY_SOURCE[_u] = unit_id(MANIFEST.at[_u, PARENT], MANIFEST.at[_u, "mask_from"])
    MANIFEST.at[_u, "mask"] = CARRIED_MASK.format(case=_u)
IMAGE_TARGETS = (
    ["results/ingest/cross_image_qc.csv"]
    + (["results/evaluation/image_ablation.csv"] if len(IMAGE_NAMES) > 1 else [])
    if MULTI_IMAGE
    else []
)


# the source's ingested mask (any mask kind) onto the target's grid as ingest reads it (file or
# DICOM series): the target image's ingest batches wait for the source image's (no cycle: manifest_images)
rule carry_mask:
    input:
        record=lambda wc: INGEST_RECORD[_CARRY_SOURCE[wc.case]],  # defined in ingest.smk
        image=lambda wc: MANIFEST.at[wc.case, "image"],
    output:
        CARRIED_MASK,
    log:
        "results/logs/carry_mask/{case}.log",
    wildcard_constraints:
        case="|".join(re.escape(c) for c in CARRIED) or "(?!)",
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        case=lambda wc: MANIFEST.at[wc.case, PARENT],
        image_name=lambda wc: MANIFEST.at[wc.case, IMAGE_NAME],
        source=lambda wc: MANIFEST.at[wc.case, "mask_from"],
        source_unit=lambda wc: _CARRY_SOURCE[wc.case],
        read=lambda wc: {
            "series_uid": MANIFEST.get("series_uid", {}).get(wc.case, ""),
            "modality": UNIT_MODALITY[wc.case],
            "slice_spacing": config["ingest"]["slice_spacing"],
            "slice_tolerance_mm": config["ingest"]["slice_tolerance_mm"],
        },
    script:
        "../scripts/carry_mask.py"


rule cross_image_qc:
    input:
        lambda wc: sorted(set(INGEST_RECORD.values())),  # defined in ingest.smk
    output:
        report(
            "results/ingest/cross_image_qc.csv",
            caption="../report/cross_image_qc.rst",
            category="QC",
        ),
    log:
        "results/logs/cross_image_qc.log",
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        units=lambda wc: MANIFEST[
            ["case_id", PARENT, "patient_id", IMAGE_NAME]
        ].to_dict("records"),
        images=IMAGE_NAMES,
        limits=config["cross_image"],
    script:
        "../scripts/cross_image_qc.py"


rule image_ablation:
    input:
        oof="results/evaluation/oof_predictions.csv",
        clinical=(
            ["results/evaluation/clinical_ablation_oof.csv"]
            if config["survival"]["ablation"]
            else []
        ),
        provenance="results/provenance.json",
    output:
        report(
            "results/evaluation/image_ablation.csv",
            caption="../report/image_ablation.rst",
            category="Evaluation",
        ),
    log:
        "results/logs/image_ablation.log",
    conda:
        "../envs/radiodeep.yaml"
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        images=lambda wc: [*IMAGE_FEATURE_TABLES, *IMAGE_DEEP_TABLES],  # embed.smk
        n_bootstrap=config["evaluate"]["n_bootstrap"],
        seed=config["seed"],
    script:
        "../scripts/image_ablation.py"
