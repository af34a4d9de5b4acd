from radiodeep.features.stage import build_radiomics_tables
from radiodeep.logs import log_to
from radiodeep.manifest import read_manifest
from radiodeep.provenance import provenance_hash
from radiodeep.records import output_paths

with log_to(snakemake.log[0]):
    build_radiomics_tables(
        output_paths(snakemake.input.records, snakemake.params.cases),
        read_manifest(snakemake.params.manifest, snakemake.params.label, check_files=False),
        dict(snakemake.output.items()),
        snakemake.params.modality,
        provenance_hash(snakemake.input.provenance),
        mode=snakemake.params.mode,
    )
