from radiodeep.embed import CaseInput, run_embedding
from radiodeep.logs import log_to

with log_to(snakemake.log[0]):
    run_embedding(
        [
            CaseInput(*case)
            for case in zip(snakemake.params.cases, snakemake.input.images, snakemake.input.masks, strict=True)
        ],
        snakemake.params.settings,
        snakemake.output,
        modality=snakemake.params.modality,
        seed=snakemake.params.seed,
        on_error=snakemake.params.on_error,
        threads=snakemake.threads,
    )
