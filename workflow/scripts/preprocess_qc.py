from radiodeep.logs import log_to
from radiodeep.records import write_qc_table

with log_to(snakemake.log[0]):
    write_qc_table(snakemake.input, snakemake.output[0])
