# Config and manifest validation; everything below runs before any job starts.
import os

from snakemake.logging import logger
from snakemake.utils import validate

from radiodeep.config import check, coerce, load_schema
from radiodeep.errors import ManifestError
from radiodeep.manifest import outcome_problems, planned_folds, read_manifest
from radiodeep.provenance import config_hash
from radiodeep.radiomics.presets import load_preset
from radiodeep.radiomics.batches import planned_batch_size

# --config values arrive as strings below the top level: typed by the schema, then checked with
# one line per problem; snakemake's validate then fills the defaults.
CONFIG_SCHEMA = load_schema(
    os.path.join(workflow.basedir, "workflow/schemas/config.schema.yaml")
)
config.update(coerce(dict(config), CONFIG_SCHEMA))
check(config, CONFIG_SCHEMA)
validate(config, "../schemas/config.schema.yaml")


def resolve_manifest(path):
    """A relative path is looked up in the shell's folder (where snakemake was typed, $PWD), then
    in the working directory (--directory), then in the repository (the demo's manifest).
    """
    if os.path.isabs(path):
        return path
    for base in (os.environ.get("PWD"), os.getcwd(), workflow.basedir):
        if base and os.path.exists(os.path.join(base, path)):
            return os.path.abspath(os.path.join(base, path))
    return os.path.abspath(path)


MANIFEST_PATH = resolve_manifest(config["manifest"])
MANIFEST = read_manifest(MANIFEST_PATH, label=config["label"]).set_index(
    "case_id", drop=False
)
CASES = list(MANIFEST["case_id"])
MODEL_FOLDS = planned_folds(
    MANIFEST, config["model"]["folds"]
)  # (value, planned|set, reason)
config["model"]["folds"] = MODEL_FOLDS[0]
_OUTCOME_WARNINGS, _OUTCOME_ERRORS = outcome_problems(
    MANIFEST, MODEL_FOLDS[0], config["label"]
)
for _line in _OUTCOME_WARNINGS:
    logger.warning(f"manifest {MANIFEST_PATH}: {_line}")
if _OUTCOME_ERRORS:
    raise ManifestError(f"manifest {MANIFEST_PATH}: " + "; ".join(_OUTCOME_ERRORS))
CONFIG_HASH = config_hash(config)
RADIOMICS_PARAMS = load_preset(
    config["radiomics"]["preset"] or config["modality"], config["radiomics"]["settings"]
)


# The manifest schema's id pattern, not an alternation of every id: that regex grows with the
# cohort and made the DAG build quadratic (3,000 cases: 38 s -> 28 s for `snakemake -n`).
wildcard_constraints:
    case=r"[A-Za-z0-9._-]+",


def case_field(field):
    return lambda wc: MANIFEST.at[wc.case, field] if field in MANIFEST else ""


def case_inputs(wc):
    row = MANIFEST.loc[wc.case]
    return {"image": row["image"], **({"mask": row["mask"]} if row["mask"] else {})}


def batch_cores():
    """The cores batches are sized for: --cores N on one machine, 1 under a cluster executor
    (each batch is its own job there) or when no core count is given."""
    try:
        cores = workflow.cores if workflow.local_exec else 1
    except WorkflowError:
        cores = 1
    return max(1, min(int(cores), os.cpu_count() or 1))


def batch_size(setting, n):
    """Cases per batch job for n cases (radiodeep.radiomics.batches.planned_batch_size): a
    number as set, or auto: one batch per core with --cores on one machine, 30 under a cluster
    executor or --jobs (the submit host and a node's job plan alike)."""
    clustered = workflow.resource_settings.nodes is not None or workflow.remote_exec
    return planned_batch_size(setting, n, batch_cores(), clustered)


def ingest_rows(cases):
    """The manifest's columns that ingest reads, one dict per case."""
    cols = [
        c for c in ("case_id", "image", "mask", "roi", "series_uid") if c in MANIFEST
    ]
    return MANIFEST.loc[cases, cols].to_dict("records")


def preprocessed(cases):
    """The batch records a rule reading these cases' preprocessed images depends on."""
    return sorted({PREPROCESS_RECORD[c] for c in cases})


def declared(paths):
    """The files among ``paths`` that are declared outputs (U-Net masks); preprocess' per-case
    images are covered by its batch records (preprocessed())."""
    return [p for p in paths if not p.startswith("results/preprocess/")]
