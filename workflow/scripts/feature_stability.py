from radiodeep.features.stability import stability_from_records
from radiodeep.logs import log_to
from radiodeep.manifest import read_manifest

with log_to(snakemake.log[0]):
    stability_from_records(
        snakemake.input.reference,
        snakemake.input.predicted,
        read_manifest(snakemake.params.manifest, snakemake.params.label, check_files=False),
        snakemake.output.table,
        min_icc=snakemake.params.min_icc,
        out_qc=snakemake.output.qc,
    )
