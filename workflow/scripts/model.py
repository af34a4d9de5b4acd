from radiodeep.logs import log_to
from radiodeep.manifest import read_manifest
from radiodeep.model.stage import run_model
from radiodeep.provenance import provenance_hash

with log_to(snakemake.log[0]):
    run_model(
        snakemake.params.tables,
        read_manifest(snakemake.params.manifest, snakemake.params.label, check_files=False),
        snakemake.output[0],
        classifiers=snakemake.params.classifiers,
        folds=snakemake.params.folds,
        repeats=snakemake.params.repeats,
        inner_folds=snakemake.params.inner_folds,
        seed=snakemake.params.seed,
        provenance=provenance_hash(snakemake.input.provenance),
    )
