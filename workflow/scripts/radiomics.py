from radiodeep.logs import log_to
from radiodeep.radiomics import run_batch
from radiodeep.records import skip_failed_upstream

with log_to(snakemake.log[0]):
    p = snakemake.params
    todo = skip_failed_upstream(p.cases, snakemake.output, snakemake.input.preprocessed, features={}, diagnostics={})
    run_batch(
        [(p.cases[i], p.images[i], p.masks[i], snakemake.output[i]) for i in todo],
        p.pyradiomics,
        on_error=p.on_error,
        mode=p.mode,
        labels=p.labels,
        workers=snakemake.threads,
        check_gzip=False,  # radiodeep's own outputs (preprocess, U-Net masks), written atomically
    )
