from radiodeep.logs import log_to
from radiodeep.report.summary import write_summary

with log_to(snakemake.log[0]):
    write_summary(
        dict(snakemake.input.items()),
        snakemake.output.html,
        snakemake.output.null,
        min_dice=snakemake.params.min_dice,
    )
