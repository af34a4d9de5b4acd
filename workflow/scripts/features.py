from radiodeep.features.stage import build_radiomics_tables
from radiodeep.logs import log_to
from radiodeep.manifest import read_manifest
from radiodeep.provenance import provenance_hash

with log_to(snakemake.log[0]):
    build_radiomics_tables(
        snakemake.input.records,
        read_manifest(snakemake.params.manifest, snakemake.params.label, check_files=False),
        dict(snakemake.output.items()),
        snakemake.params.modality,
        provenance_hash(snakemake.input.provenance),
        mode=snakemake.params.mode,
    )
