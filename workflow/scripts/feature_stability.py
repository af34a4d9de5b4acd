from radiodeep.features.stability import stability_from_records
from radiodeep.logs import log_to
from radiodeep.manifest import read_manifest
from radiodeep.records import output_paths

with log_to(snakemake.log[0]):
    stability_from_records(
        output_paths(snakemake.input.reference, snakemake.params.cases),
        output_paths(snakemake.input.predicted, snakemake.params.cases),
        read_manifest(snakemake.params.manifest, snakemake.params.label, check_files=False),
        snakemake.output.table,
        min_icc=snakemake.params.min_icc,
        out_qc=snakemake.output.qc,
    )
