from radiodeep.embed import CaseInput, run_embedding
from radiodeep.logs import log_to
from radiodeep.plan import planned

with log_to(snakemake.log[0]):
    run_embedding(
        [
            CaseInput(*case)
            for case in zip(snakemake.params.cases, snakemake.input.images, snakemake.input.masks, strict=True)
        ],
        {**snakemake.params.settings,
         "fallback_spacing": planned(snakemake.input.plan, "preprocess.spacing") or snakemake.params.settings["fallback_spacing"],
         "crop_mm": planned(snakemake.input.plan, "embed.crop_mm")},
        snakemake.output,
        modality=snakemake.params.modality,
        seed=snakemake.params.seed,
        on_error=snakemake.params.on_error,
        threads=snakemake.threads,
    )
