from radiodeep.embed import CaseInput, run_embedding
from radiodeep.io import read_json
from radiodeep.logs import log_to
from radiodeep.plan import planned
from radiodeep.records import skip_failed_upstream

with log_to(snakemake.log[0]):
    p, plan = snakemake.params, read_json(snakemake.input.plan)  # read once
    todo = skip_failed_upstream(p.cases, snakemake.output, snakemake.input.preprocessed, source="deep", features={})
    run_embedding(
        [CaseInput(p.cases[i], p.images[i], p.masks[i]) for i in todo],
        {**p.settings,
         "fallback_spacing": planned(plan, "preprocess.spacing") or p.settings["fallback_spacing"],
         "crop_mm": planned(plan, "embed.crop_mm")},
        [snakemake.output[i] for i in todo],
        modality=p.modality,
        seed=p.seed,
        on_error=p.on_error,
        threads=snakemake.threads,
    )
