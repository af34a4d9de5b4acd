from radiodeep.logs import log_to
from radiodeep.plan import planned
from radiodeep.preprocess import preprocess_batch
from radiodeep.records import failed_cases, read_records

with log_to(snakemake.log[0]):
    preprocess_batch(
        snakemake.params.cases,
        "results/ingest",
        "results/preprocess",
        snakemake.output[0],
        {**snakemake.params.settings, "spacing": planned(snakemake.input.plan, "preprocess.spacing")},
        upstream=failed_cases(read_records([snakemake.input.ingested])),
        on_error=snakemake.params.on_error,
        threads=snakemake.threads,
    )
