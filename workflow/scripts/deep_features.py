from radiodeep.embed import build_deep_tables
from radiodeep.logs import log_to
from radiodeep.manifest import read_manifest
from radiodeep.records import output_paths

with log_to(snakemake.log[0]):
    build_deep_tables(
        output_paths(snakemake.input, snakemake.params.cases),
        read_manifest(snakemake.params.manifest, snakemake.params.label, check_files=False),
        dict(snakemake.output.items()),
        snakemake.params.config_hash,
        modality=snakemake.params.modality,
    )
