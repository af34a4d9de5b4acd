# The cohort plan: every setting left `auto` planned from the ingested cohort (results/plan.json).
from radiodeep.radiomics.presets import discretisation_is_set, params_from_config

for _group, _units in IMAGE_GROUPS.items():  # one plan per image name (images.smk)
    _modality = UNIT_MODALITY[_units[0]]
    _suffix = f"_{_group}" if _group else ""

    rule:
        name:
            f"plan{_suffix}"
        input:
            ingested=sorted({INGEST_RECORD[c] for c in _units}),  # batch records (ingest.smk)
        output:
            report(PLAN_OF[_units[0]], caption="../report/plan.rst", category="Plan"),
        log:
            f"results/logs/plan{_suffix}.log",
        benchmark:
            f"results/benchmarks/plan{_suffix}.tsv"
        conda:
            "../envs/radiodeep.yaml"
        resources:
            mem_mb=2000,
            runtime=30,
        params:
            cases=_units,
            images=expand("results/ingest/{case}/image.nii", case=_units),
            masks=expand("results/ingest/{case}/mask.nii", case=_units),
            fingerprints=expand("results/ingest/{case}/fingerprint.npz", case=_units),  # read instead of the images
            config={
                **{
                    k: config[k]
                    for k in ("modality", "seed", "preprocess", "segment", "embed")
                },
                "modality": _modality,
            },
            bin_width=params_from_config(config["radiomics"], _modality)[
                "setting"
            ].get("binWidth"),
            bin_width_set=discretisation_is_set(config["radiomics"], _modality),
            folds=MODEL_FOLDS,
        script:
            "../scripts/plan.py"
