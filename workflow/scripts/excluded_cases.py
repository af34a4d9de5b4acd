from radiodeep.logs import log_to
from radiodeep.manifest import read_manifest
from radiodeep.report import unlabelled_cases, write_excluded_cases

with log_to(snakemake.log[0]):
    manifest = read_manifest(snakemake.params.manifest, snakemake.params.label, check_files=False)
    write_excluded_cases(
        list(snakemake.input),
        snakemake.output[0],
        unlabelled_cases(manifest, snakemake.params.label),
    )
