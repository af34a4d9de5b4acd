from radiodeep.logs import log_to
from radiodeep.plan import planned
from radiodeep.radiomics import run_batch
from radiodeep.records import skip_failed_upstream, write_outputs_record

with log_to(snakemake.log[0]):
    p = snakemake.params
    params, width = p.pyradiomics, planned(snakemake.input.plan, "radiomics.binWidth")
    if width is not None:  # the planned (or the user's) bin width
        params = {**params, "setting": {**params["setting"], "binWidth": width}}
    todo = skip_failed_upstream(p.cases, p.outputs, snakemake.input.preprocessed, features={}, diagnostics={})
    run_batch(
        [(p.cases[i], p.images[i], p.masks[i], p.outputs[i]) for i in todo],
        params,
        on_error=p.on_error,
        mode=p.mode,
        labels=p.labels,
        workers=snakemake.threads,
        predicted=set(p.predicted),
        check_gzip=False,  # radiodeep's own outputs (preprocess, U-Net masks), written atomically
    )
    write_outputs_record("radiomics", dict(zip(p.cases, p.outputs, strict=True)), snakemake.output[0])
