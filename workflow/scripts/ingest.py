from radiodeep.ingest import ingest_batch
from radiodeep.logs import log_to

with log_to(snakemake.log[0]):
    ingest_batch(
        snakemake.params.cases,
        "results/ingest",
        snakemake.output[0],
        on_error=snakemake.params.on_error,
        threads=snakemake.threads,
        modality=snakemake.params.modality,
        default_roi=snakemake.params.default_roi,
        **snakemake.params.settings,
    )
