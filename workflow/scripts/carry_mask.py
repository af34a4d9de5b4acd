from radiodeep.ingest.cross_image import carry_ingested_mask
from radiodeep.logs import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    carry_ingested_mask(p.source_unit, [snakemake.input.record], snakemake.input.image, snakemake.output[0], p.case,
                        p.image_name, p.source, **p.read)
