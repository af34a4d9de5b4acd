import os

from radiodeep.logs import log_to
from radiodeep.manifest import read_manifest
from radiodeep.manifest_images import per_case
from radiodeep.model.stage import ModelSettings, run_model
from radiodeep.provenance import provenance_hash

with log_to(snakemake.log[0]):
    run_model(
        snakemake.params.tables,
        per_case(read_manifest(snakemake.params.manifest, snakemake.params.label, check_files=False)),
        os.path.dirname(snakemake.output.oof),
        os.path.dirname(snakemake.output.models[0]),
        ModelSettings.from_config(snakemake.params.settings, n_jobs=snakemake.threads,
                                  folds_planned=snakemake.params.folds_planned),
        stability=snakemake.input.stability[0] if snakemake.input.stability else None,
        seed=snakemake.params.seed,
        provenance=provenance_hash(snakemake.input.provenance),
    )
