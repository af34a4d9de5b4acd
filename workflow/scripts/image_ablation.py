from radiodeep.logs import log_to
from radiodeep.model.image_ablation import run_image_ablation
from radiodeep.provenance import provenance_hash

with log_to(snakemake.log[0]):
    run_image_ablation(snakemake.input.oof, snakemake.params.images, snakemake.output[0],
                       snakemake.input.clinical[0] if snakemake.input.clinical else None,
                       n_boot=snakemake.params.n_bootstrap, seed=snakemake.params.seed,
                       provenance=provenance_hash(snakemake.input.provenance))
