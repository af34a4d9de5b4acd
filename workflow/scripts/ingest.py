from radiodeep.ingest import ingest_case
from radiodeep.logs import log_to

with log_to(snakemake.log[0]):
    s = snakemake.params.settings
    ingest_case(
        snakemake.input.image,
        snakemake.input.get("mask"),
        snakemake.output.header.rsplit("/", 1)[0],
        case_id=snakemake.wildcards.case,
        roi=snakemake.params.roi or None,
        series_uid=snakemake.params.series_uid or None,
        modality=snakemake.params.modality,
        grid_tolerance_mm=s["grid_tolerance_mm"],
        slice_spacing=s["slice_spacing"],
        slice_tolerance_mm=s["slice_tolerance_mm"],
        uid_salt=s["uid_salt"],
        keep_uids=s["keep_uids"],
        default_roi=s["roi"],
        frame_of_reference=s["frame_of_reference"],
        trust_geometry_cases=s["trust_geometry_cases"],
    )
