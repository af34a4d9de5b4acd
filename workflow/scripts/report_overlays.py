from radiodeep.logs import log_to
from radiodeep.report.overlays import write_overlays

with log_to(snakemake.log[0]):
    write_overlays(
        snakemake.input.dice,
        snakemake.params.cases,
        snakemake.params.images,
        snakemake.params.references,
        snakemake.input.predicted,
        snakemake.output.sheet,
        snakemake.output.distributions,
        min_dice=snakemake.params.min_dice,
    )
