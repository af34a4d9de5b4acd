from radiodeep.io import write_table
from radiodeep.logs import log_to
from radiodeep.segment.images import combine_dice_tables

with log_to(snakemake.log[0]):
    tables = dict(zip(snakemake.params.images, snakemake.input, strict=True))
    write_table(combine_dice_tables(tables), snakemake.output[0])
