from radiodeep.ingest.cross_image import carry_mask
from radiodeep.logs import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    carry_mask(snakemake.input.mask, snakemake.input.image, snakemake.output[0], p.case, p.image_name, p.source)
