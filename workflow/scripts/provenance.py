from radiodeep.logs import log_to
from radiodeep.manifest import read_manifest
from radiodeep.provenance import write_provenance

with log_to(snakemake.log[0]):
    write_provenance(
        snakemake.params.config,
        read_manifest(snakemake.input.manifest, snakemake.params.label),
        snakemake.params.repo,
        snakemake.output[0],
        manifest_path=snakemake.input.manifest,
        torch_used=snakemake.params.torch_used,
    )
