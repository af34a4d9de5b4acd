from radiodeep.evaluate.stage import run_evaluate
from radiodeep.logs import log_to

with log_to(snakemake.log[0]):
    run_evaluate(
        snakemake.input.oof,
        snakemake.params.outdir,
        snakemake.input.null,
        snakemake.input.test,
        n_boot=snakemake.params.n_bootstrap,
        seed=snakemake.params.seed,
        importance_path=snakemake.input.importance,
    )
