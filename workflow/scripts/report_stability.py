import pandas as pd

from radiodeep.logs import log_to
from radiodeep.report.figures import plot_icc_by_family

with log_to(snakemake.log[0]):
    plot_icc_by_family(
        pd.read_csv(snakemake.input[0]),
        snakemake.params.icc_threshold,
        snakemake.output[0],
    )
