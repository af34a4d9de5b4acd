"""Two runs of the same study in fresh working directories give identical tables and metrics."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from radiodeep.io import read_json, read_table_metadata
from tests.conftest import prepare_study, snakemake

pytestmark = pytest.mark.slow

TABLES = [
    "features/radiomics.parquet",
    "features/features_long.parquet",
    "features/qc.csv",
    "evaluation/oof_predictions.csv",
    "evaluation/metrics.csv",
]


def read(path):
    return pd.read_parquet(path) if path.name.endswith(".parquet") else pd.read_csv(path)


@pytest.fixture(scope="module")
def second_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("second_run")
    snakemake(*prepare_study(work))
    return work


@pytest.mark.parametrize("table", TABLES)
def test_tables_equal_cell_for_cell(small_study, second_run, table):
    first, second = read(small_study / "results" / table), read(second_run / "results" / table)
    assert len(first) > 0
    # check_exact: float features and scores must agree to the last bit, not within a tolerance
    assert_frame_equal(first, second, check_exact=True)


def test_csv_tables_and_roc_byte_identical(small_study, second_run):
    for name in ("features/radiomics.csv", "features/dictionary.csv", "evaluation/metrics.csv"):
        assert (small_study / "results" / name).read_bytes() == (second_run / "results" / name).read_bytes(), name


def test_provenance_links_tables_to_the_run(small_study, second_run):
    for work in (small_study, second_run):
        prov = read_json(work / "results" / "provenance.json")
        assert len(prov["provenance_sha256"]) == 64
        for table in ("features/radiomics.parquet", "features/features_long.parquet",
                      "features/radiomics.csv", "evaluation/oof_predictions.csv"):
            meta = read_table_metadata(work / "results" / table)
            assert meta["radiodeep.provenance"] == prov["provenance_sha256"], table
            if table.endswith("radiomics.parquet"):
                assert meta["radiodeep.radiomics_mode"] == "pyradiomics"
                assert meta["radiodeep.pyradiomics_version"] == "v3.1.4"
    first = read_json(small_study / "results" / "provenance.json")
    second = read_json(second_run / "results" / "provenance.json")
    # same images, seeds and library versions; only the manifest's path (a config value) differs
    assert first["inputs"] == second["inputs"] and len(first["inputs"]) == 12
    assert first["seeds"] == second["seeds"] and first["seeds"]["seed"] == 42
    assert first["packages"] == second["packages"]
    assert first["config"]["manifest"] != second["config"]["manifest"]
    assert first["config_sha256"] != second["config_sha256"]
