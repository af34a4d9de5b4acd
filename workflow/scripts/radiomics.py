from radiodeep.logs import log_to
from radiodeep.radiomics import run_batch

with log_to(snakemake.log[0]):
    run_batch(
        list(
            zip(
                snakemake.params.cases,
                snakemake.input.images,
                snakemake.input.masks,
                snakemake.output,
                strict=True,
            )
        ),
        snakemake.params.pyradiomics,
        on_error=snakemake.params.on_error,
        mode=snakemake.params.mode,
        labels=snakemake.params.labels,
        workers=snakemake.threads,
        check_gzip=False,  # radiodeep's own outputs (preprocess, U-Net masks), written atomically
    )
