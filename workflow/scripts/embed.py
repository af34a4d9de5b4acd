from radiodeep.embed import CaseInput, run_embedding
from radiodeep.logs import log_to
from radiodeep.records import skip_failed_upstream

with log_to(snakemake.log[0]):
    p = snakemake.params
    todo = skip_failed_upstream(p.cases, snakemake.output, snakemake.input.preprocessed, source="deep", features={})
    run_embedding(
        [CaseInput(p.cases[i], p.images[i], p.masks[i]) for i in todo],
        p.settings,
        [snakemake.output[i] for i in todo],
        modality=p.modality,
        seed=p.seed,
        on_error=p.on_error,
        threads=snakemake.threads,
    )
