from radiodeep.embed import CaseInput, run_embedding
from radiodeep.io import read_json
from radiodeep.logs import log_to
from radiodeep.plan import planned
from radiodeep.records import skip_failed_upstream, write_outputs_record

with log_to(snakemake.log[0]):
    p, plan = snakemake.params, read_json(snakemake.input.plan)  # read once
    todo = skip_failed_upstream(p.cases, p.outputs, snakemake.input.preprocessed, source="deep", features={})
    run_embedding(
        [CaseInput(p.cases[i], p.images[i], p.masks[i]) for i in todo],
        {**p.settings,
         "fallback_spacing": planned(plan, "preprocess.spacing") or p.settings["fallback_spacing"],
         "crop_mm": planned(plan, "embed.crop_mm")},
        [p.outputs[i] for i in todo],
        modality=p.modality,
        seed=p.seed,
        on_error=p.on_error,
        threads=snakemake.threads,
    )
    write_outputs_record("embed", dict(zip(p.cases, p.outputs, strict=True)), snakemake.output[0])
