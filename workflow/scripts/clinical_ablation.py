import os

from radiodeep.logs import log_to
from radiodeep.manifest import read_manifest
from radiodeep.manifest_images import per_case
from radiodeep.model.clinical_ablation import run_ablation
from radiodeep.model.stage import ModelSettings
from radiodeep.provenance import provenance_hash

with log_to(snakemake.log[0]):
    run_ablation(
        snakemake.input.table,
        per_case(read_manifest(snakemake.params.manifest, snakemake.params.label, check_files=False)),
        snakemake.params.clinical,
        os.path.dirname(snakemake.output.metrics),
        ModelSettings.from_config(snakemake.params.model, n_jobs=snakemake.threads,
                                  folds_planned=snakemake.params.folds_planned),
        n_boot=snakemake.params.n_bootstrap,
        seed=snakemake.params.seed,
        provenance=provenance_hash(snakemake.input.provenance),
    )
