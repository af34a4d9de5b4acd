from radiodeep.logs import log_to
from radiodeep.plan import plan_cohort
from radiodeep.records import failed_cases, read_records

with log_to(snakemake.log[0]):
    p, failed = snakemake.params, failed_cases(read_records(snakemake.input.ingested))
    # cases that failed ingest (on_error: skip) have no images; fingerprint: saved by the ingest batch
    cases = [{"case_id": c, "image": i, "mask": m, "fingerprint": f}
             for c, i, m, f in zip(p.cases, p.images, p.masks, p.fingerprints, strict=True) if c not in failed]
    plan_cohort(cases, p.config, snakemake.output[0], p.bin_width, p.bin_width_set, model_folds=p.folds)
