from radiodeep.logs import log_to
from radiodeep.segment.stage import segment_case

with log_to(snakemake.log[0]):
    segment_case(
        snakemake.params.image,
        snakemake.input.model,
        snakemake.output[0],
        device=snakemake.params.device,
        modality=snakemake.params.modality,
        case_id=snakemake.wildcards.case,
        threads=snakemake.threads,
    )
