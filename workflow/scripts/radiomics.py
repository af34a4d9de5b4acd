from radiodeep.logs import log_to
from radiodeep.plan import planned
from radiodeep.radiomics import run_batch

with log_to(snakemake.log[0]):
    params, width = snakemake.params.pyradiomics, planned(snakemake.input.plan, "radiomics.binWidth")
    if width is not None:  # the planned (or the user's) bin width
        params = {**params, "setting": {**params["setting"], "binWidth": width}}
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
        params,
        on_error=snakemake.params.on_error,
        mode=snakemake.params.mode,
        labels=snakemake.params.labels,
        workers=snakemake.threads,
        predicted=set(snakemake.params.predicted),
        check_gzip=False,  # radiodeep's own outputs (preprocess, U-Net masks), written atomically
    )
