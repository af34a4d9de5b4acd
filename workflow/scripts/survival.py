import os

from radiodeep.logs import log_to
from radiodeep.manifest import read_manifest
from radiodeep.manifest_images import per_case
from radiodeep.model.survival_stage import SurvivalSettings, run_survival
from radiodeep.provenance import provenance_hash

with log_to(snakemake.log[0]):
    settings = SurvivalSettings.from_config(snakemake.params.settings, n_jobs=snakemake.threads)
    manifest = per_case(read_manifest(snakemake.params.manifest, snakemake.params.label, check_files=False,
                                      survival=settings.endpoint_columns()))
    run_survival(snakemake.params.tables, manifest, os.path.dirname(snakemake.output.metrics), settings,
                 seed=snakemake.params.seed, provenance=provenance_hash(snakemake.input.provenance))
