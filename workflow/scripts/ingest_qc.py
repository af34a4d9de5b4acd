from radiodeep.io import read_json
from radiodeep.logs import log_to
from radiodeep.records import write_qc_table

with log_to(snakemake.log[0]):
    write_qc_table(
        snakemake.input,
        snakemake.output[0],
        detail=lambda case: read_json(f"results/ingest/{case}/header.json"),
        first=("source_format", "modality", "units", "roi", "roi_voxels"),
    )
