from radiodeep.ingest.header import write_qc_table
from radiodeep.logs import log_to

with log_to(snakemake.log[0]):
    write_qc_table(snakemake.input, snakemake.output[0])
