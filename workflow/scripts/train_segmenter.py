import pandas as pd

from radiodeep.io import read_json
from radiodeep.logs import log_to
from radiodeep.plan import planned
from radiodeep.records import failed_cases, read_records
from radiodeep.segment.stage import train_segmenter

with log_to(snakemake.log[0]):
    plan = read_json(snakemake.input.plan)  # read once
    cases = pd.DataFrame(
        {"case_id": snakemake.params.cases, "patient_id": snakemake.params.patients,
         "image": list(snakemake.params.images), "mask": list(snakemake.params.masks)}
    )
    train_segmenter(
        cases,
        {"model": snakemake.output.model, "dice": snakemake.output.dice},
        dict(zip(snakemake.params.cases, snakemake.output.predicted, strict=True)),
        {**snakemake.params.settings,
         **{k: planned(plan, f"segment.{k}") for k in ("spacing", "patch_size", "architecture", "intensity")}},
        snakemake.params.modality,
        seed=snakemake.params.seed,
        threads=snakemake.threads,
        failed=failed_cases(read_records(snakemake.input.preprocessed)),  # on_error: skip
    )
