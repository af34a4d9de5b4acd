from radiodeep.logs import log_to
from radiodeep.plan import plan_cohort
from radiodeep.records import failed_cases, read_records

with log_to(snakemake.log[0]):
    p, failed = snakemake.params, failed_cases(read_records(snakemake.input.ingested))
    cases = [{"case_id": c, "image": i, "mask": m} for c, i, m in zip(p.cases, p.images, p.masks, strict=True)
             if c not in failed]  # cases that failed ingest (on_error: skip) have no images
    plan_cohort(cases, p.config, snakemake.output[0], p.bin_width, p.bin_width_set, model_folds=p.folds)
