# U-Net segmentation: CV over the cases with reference masks, a final model, inference for the rest.
SEG = config["segment"]
LABELLED = [c for c in CASES if MANIFEST.at[c, "mask"]]
UNLABELLED = [c for c in CASES if not MANIFEST.at[c, "mask"]]
# cases without a reference mask always need the U-Net
SEGMENT_ON = SEG["enabled"] or SEG["mask_source"] != "reference" or bool(UNLABELLED)
SEGMENT_GPU = 1 if SEG["device"] == "cuda" else 0
PREDICTED_MASK = "results/segmentation/predicted/{case}/mask.nii.gz"
SEGMENT_TARGETS = (
    [
        "results/segmentation/model.pt",
        "results/segmentation/dice.csv",
        *expand(PREDICTED_MASK, case=UNLABELLED),
    ]
    if SEGMENT_ON
    else []
)


# The mask the main feature table uses: predicted where configured, or where no reference exists.
RADIOMICS_MASK = {
    c: (
        PREDICTED_MASK.format(case=c)
        if SEG["mask_source"] == "predicted" or c in UNLABELLED
        else PREPROCESSED_MASK.format(case=c)
    )
    for c in CASES
}


rule train_segmenter:
    input:
        preprocessed=preprocessed(LABELLED),
        plan="results/plan.json",
    output:
        model="results/segmentation/model.pt",
        meta="results/segmentation/model.json",
        dice=report(
            "results/segmentation/dice.csv",
            caption="../report/dice.rst",
            category="Segmentation",
        ),
        predicted=expand(PREDICTED_MASK, case=LABELLED),
    log:
        "results/logs/train_segmenter.log",
    benchmark:
        "results/benchmarks/train_segmenter.tsv"
    conda:
        "../envs/radiodeep.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=60,
        gpu=SEGMENT_GPU,
    params:
        cases=LABELLED,
        images=expand(PREPROCESSED_IMAGE, case=LABELLED),
        masks=expand(PREPROCESSED_MASK, case=LABELLED),
        patients=[MANIFEST.at[c, "patient_id"] for c in LABELLED],
        settings={
            k: v
            for k, v in SEG.items()
            if k not in ("enabled", "mask_source", "min_icc")
        },
        modality=config["modality"],
        seed=config["seed"],
    script:
        "../scripts/train_segmenter.py"


rule segment:
    input:
        preprocessed=lambda wc: preprocessed([wc.case]),
        model="results/segmentation/model.pt",
        meta="results/segmentation/model.json",
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
        modality=config["modality"],
    script:
        "../scripts/segment.py"
