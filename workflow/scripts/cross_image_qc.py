from radiodeep.ingest.cross_image import run_cross_image_qc
from radiodeep.logs import log_to

with log_to(snakemake.log[0]):
    run_cross_image_qc(snakemake.params.units, snakemake.input, snakemake.params.images, snakemake.output[0],
                       **snakemake.params.limits)
