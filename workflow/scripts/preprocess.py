from radiodeep.logs import log_to
from radiodeep.preprocess import preprocess_batch
from radiodeep.records import failed_cases, read_records

with log_to(snakemake.log[0]):
    preprocess_batch(
        snakemake.params.cases,
        "results/ingest",
        "results/preprocess",
        snakemake.output[0],
        snakemake.params.settings,
        upstream=failed_cases(read_records(snakemake.input)),
        on_error=snakemake.params.on_error,
    )
