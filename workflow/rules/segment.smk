# U-Net segmentation: CV over the cases with reference masks, a final model, inference for the rest.
# Several images per case: one U-Net per image name (its plan, modality and labelled units) in
# results/segmentation/<image_name>/ (radiodeep.segment.images); one image: results/segmentation/.
from radiodeep.errors import RadiodeepError
from radiodeep.segment.images import segmentation_dir, unet_images

SEG = config["segment"]
GROUP_OF = {c: g for g, units in IMAGE_GROUPS.items() for c in units}
SEG_LABELLED = {
    g: [c for c in units if MANIFEST.at[c, "mask"]] for g, units in IMAGE_GROUPS.items()
}
SEG_UNLABELLED = {
    g: [c for c in units if not MANIFEST.at[c, "mask"]]
    for g, units in IMAGE_GROUPS.items()
}
try:
    # the images whose U-Net masks the run uses
    UNET_IMAGES = unet_images(SEG, SEG_UNLABELLED)
except RadiodeepError as error:
    raise ManifestError(f"manifest {MANIFEST_PATH}: {error}") from None
_UNTRAINED = [g for g in UNET_IMAGES if g and not SEG_LABELLED[g]]
if _UNTRAINED:
    raise ManifestError(
        f"manifest {MANIFEST_PATH}: image(s) {_UNTRAINED} need a U-Net but no row of theirs has a "
        "mask to train it on; give some rows of each a mask (or mask_from)"
    )
UNLABELLED = [c for c in CASES if not MANIFEST.at[c, "mask"]]
# the labelled cases the U-Net masks are scored on (one image: every labelled case)
LABELLED = [c for c in CASES if MANIFEST.at[c, "mask"] and GROUP_OF[c] in UNET_IMAGES]
if not MULTI_IMAGE:
    LABELLED = SEG_LABELLED[""]
# cases without a reference mask always need the U-Net
SEGMENT_ON = bool(UNET_IMAGES)
SEGMENT_GPU = 1 if SEG["device"] == "cuda" else 0
PREDICTED_MASK = "results/segmentation/predicted/{case}/mask.nii.gz"
SEGMENT_TARGETS = [
    path
    for g in UNET_IMAGES
    for path in (
        f"{segmentation_dir(g)}/model.pt",
        f"{segmentation_dir(g)}/dice.csv",
        *expand(PREDICTED_MASK, case=SEG_UNLABELLED[g]),
    )
] + (["results/segmentation/dice.csv"] if MULTI_IMAGE and SEGMENT_ON else [])


# The mask the main feature table uses: predicted where configured, or where no reference exists.
RADIOMICS_MASK = {
    c: (
        PREDICTED_MASK.format(case=c)
        if (SEG["mask_source"] == "predicted" and GROUP_OF[c] in UNET_IMAGES)
        or c in UNLABELLED
        else PREPROCESSED_MASK.format(case=c)
    )
    for c in CASES
}


# one training rule per image name (train_segmenter_<image_name>; one image: train_segmenter),
# also for images without U-Net masks: the unet-encoder embedding may ask for their model
for _group, _labelled in SEG_LABELLED.items():
    if _group and not _labelled:
        continue
    _dir = segmentation_dir(_group)
    _suffix = f"_{_group}" if _group else ""

    rule:
        name:
            f"train_segmenter{_suffix}"
        input:
            preprocessed=preprocessed(_labelled),
            plan=PLAN_OF[IMAGE_GROUPS[_group][0]],
        output:
            model=f"{_dir}/model.pt",
            meta=f"{_dir}/model.json",
            dice=report(
                f"{_dir}/dice.csv",
                caption="../report/dice.rst",
                category="Segmentation",
            ),
            predicted=expand(PREDICTED_MASK, case=_labelled),
        log:
            f"results/logs/train_segmenter{_suffix}.log",
        benchmark:
            f"results/benchmarks/train_segmenter{_suffix}.tsv"
        conda:
            "../envs/radiodeep.yaml"
        threads: 2
        resources:
            mem_mb=8000,
            runtime=60,
            gpu=SEGMENT_GPU,
        params:
            cases=_labelled,
            images=expand(PREPROCESSED_IMAGE, case=_labelled),
            masks=expand(PREPROCESSED_MASK, case=_labelled),
            patients=[MANIFEST.at[c, "patient_id"] for c in _labelled],
            settings={
                k: v
                for k, v in SEG.items()
                if k not in ("enabled", "mask_source", "min_icc", "images")
            },
            modality=UNIT_MODALITY[IMAGE_GROUPS[_group][0]],
            seed=config["seed"],
        script:
            "../scripts/train_segmenter.py"


rule segment:
    input:
        preprocessed=lambda wc: preprocessed([wc.case]),
        model=lambda wc: f"{segmentation_dir(GROUP_OF[wc.case])}/model.pt",
        meta=lambda wc: f"{segmentation_dir(GROUP_OF[wc.case])}/model.json",
    output:
        PREDICTED_MASK,
    log:
        "results/logs/segment/{case}.log",
    benchmark:
        "results/benchmarks/segment/{case}.tsv"
    wildcard_constraints:
        case="|".join(re.escape(c) for c in UNLABELLED) or "(?!)",
    conda:
        "../envs/radiodeep.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
        gpu=SEGMENT_GPU,
    params:
        image=lambda wc: PREPROCESSED_IMAGE.format(case=wc.case),
        device=SEG["device"],
        modality=lambda wc: UNIT_MODALITY[wc.case],
    script:
        "../scripts/segment.py"


if MULTI_IMAGE:  # every image's dice.csv in one, for the report

    rule dice_table:
        input:
            [f"{segmentation_dir(g)}/dice.csv" for g in UNET_IMAGES if g],
        output:
            "results/segmentation/dice.csv",
        log:
            "results/logs/dice_table.log",
        conda:
            "../envs/radiodeep.yaml"
        resources:
            mem_mb=1000,
            runtime=5,
        params:
            images=[g for g in UNET_IMAGES if g],
        script:
            "../scripts/dice_table.py"
