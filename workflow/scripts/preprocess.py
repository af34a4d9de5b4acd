from radiodeep.logs import log_to
from radiodeep.plan import planned
from radiodeep.preprocess import preprocess_case

with log_to(snakemake.log[0]):
    preprocess_case(
        snakemake.input.image,
        snakemake.input.mask,
        snakemake.output.image,
        snakemake.output.mask,
        modality=snakemake.params.modality,
        spacing=planned(snakemake.input.plan, "preprocess.spacing"),
        interpolator=snakemake.params.interpolator,
        mr_reference=snakemake.params.mr_reference,
        case_id=snakemake.wildcards.case,
        has_reference_mask=snakemake.params.has_reference_mask,
    )
