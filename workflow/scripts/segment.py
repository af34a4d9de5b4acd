from radiodeep.logs import log_to
from radiodeep.records import failed_cases, read_records
from radiodeep.segment.stage import not_run, segment_case

with log_to(snakemake.log[0]):
    case = snakemake.wildcards.case
    failed = failed_cases(read_records(snakemake.input.preprocessed))  # on_error: skip
    if case in failed:
        not_run(snakemake.output[0], case, failed[case])
    else:
        segment_case(
            snakemake.params.image,
            snakemake.input.model,
            snakemake.output[0],
            device=snakemake.params.device,
            modality=snakemake.params.modality,
            case_id=case,
            threads=snakemake.threads,
        )
