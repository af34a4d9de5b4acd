from radiodeep.embed import build_deep_tables
from radiodeep.logs import log_to
from radiodeep.manifest import read_manifest

with log_to(snakemake.log[0]):
    build_deep_tables(
        snakemake.input,
        read_manifest(snakemake.params.manifest, snakemake.params.label, check_files=False),
        dict(snakemake.output.items()),
        snakemake.params.config_hash,
        modality=snakemake.params.modality,
    )
