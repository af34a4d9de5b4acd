from radiodeep.logs import log_to
from radiodeep.report import write_provenance_table

with log_to(snakemake.log[0]):
    write_provenance_table(snakemake.input[0], snakemake.output[0])
