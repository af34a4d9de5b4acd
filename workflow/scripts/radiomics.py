from radiodeep.logs import log_to
from radiodeep.radiomics import run_case

with log_to(snakemake.log[0]):
    run_case(
        snakemake.input.image,
        snakemake.input.mask,
        snakemake.output[0],
        snakemake.params.pyradiomics,
        case_id=snakemake.wildcards.case,
        on_error=snakemake.params.on_error,
        mode=snakemake.params.mode,
        labels=snakemake.params.labels,
        workers=snakemake.threads,
    )
