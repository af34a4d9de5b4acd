# Config and manifest validation; everything below runs before any job starts.
import os

from snakemake.utils import validate

from radiodeep.manifest import read_manifest
from radiodeep.provenance import config_hash
from radiodeep.radiomics.presets import load_preset

validate(config, "../schemas/config.schema.yaml")


def resolve_manifest(path):
    """Relative to the working directory if present there, else to the repository."""
    if os.path.isabs(path) or os.path.exists(path):
        return os.path.abspath(path)
    return os.path.join(workflow.basedir, path)


MANIFEST_PATH = resolve_manifest(config["manifest"])
MANIFEST = read_manifest(MANIFEST_PATH, label=config["label"]).set_index(
    "case_id", drop=False
)
CASES = list(MANIFEST["case_id"])
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
