from radiodeep.logs import log_to
from radiodeep.plan import plan_cohort

with log_to(snakemake.log[0]):
    cases = [{"case_id": c, "image": i, "mask": m} for c, i, m in
             zip(snakemake.params.cases, snakemake.input.images, snakemake.input.masks, strict=True)]
    plan_cohort(cases, snakemake.params.config, snakemake.output[0], snakemake.params.bin_width,
                snakemake.params.bin_width_set, model_folds=snakemake.params.folds)
