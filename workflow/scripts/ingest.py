from radiodeep.ingest import ingest_case
from radiodeep.logs import log_to

with log_to(snakemake.log[0]):
    ingest_case(
        snakemake.input.image,
        snakemake.input.get("mask"),
        snakemake.output.header.rsplit("/", 1)[0],
        case_id=snakemake.wildcards.case,
        roi=snakemake.params.roi or None,
    )
