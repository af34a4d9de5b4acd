from radiodeep.logs import log_to
from radiodeep.report import render_table_html

with log_to(snakemake.log[0]):
    render_table_html(
        snakemake.input[0],
        snakemake.output[0],
        snakemake.params.title,
        empty_note=snakemake.params.empty,
    )
