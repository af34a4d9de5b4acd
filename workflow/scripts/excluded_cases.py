from radiodeep.logs import log_to
from radiodeep.report import write_excluded_cases

with log_to(snakemake.log[0]):
    write_excluded_cases(list(snakemake.input), snakemake.output[0])
