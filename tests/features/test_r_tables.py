"""The feature tables as a statistician's R sees them: readr::read_csv and base read.csv.

R is Debian's ``r-base-core`` with ``r-cran-readr``; the fixture installs them when missing (as
root, as in CI; it waits for an apt lock another process holds), as tests/report/test_browser.py
installs Chromium. The R side is tests/features/read_tables.R.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from radiodeep.features.dictionary import feature_dictionary
from radiodeep.features.rnames import r_names
from radiodeep.io import write_table

R_SCRIPT = Path(__file__).with_name("read_tables.R")
# names that exercise every rule of make.names(unique = TRUE), with R 4.2's answer
TRICKY = ["a", "a", "a.1", "a", "if", "TRUE", "...", ".2x", "_x", "1x", "", "é-b", "NA", "a b",
          "log-sigma-1-0-mm-3D_glcm_Contrast", "x.1", "x", "x", "x.1"]
R_ANSWER = ["a", "a.2", "a.1", "a.3", "if.", "TRUE.", "...", "X.2x", "X_x", "X1x", "X", "é.b", "NA.", "a.b",
            "log.sigma.1.0.mm.3D_glcm_Contrast", "x.1", "x", "x.2", "x.1.1"]


def test_r_names_follow_make_names():
    assert r_names(TRICKY) == R_ANSWER


def r_ready() -> bool:
    return bool(shutil.which("Rscript")) and subprocess.run(
        ["Rscript", "-e", "library(readr)"], capture_output=True).returncode == 0


def ensure_r() -> str:
    """Rscript with readr, installing the Debian packages when missing; retries while another
    process holds the apt/dpkg lock."""
    if not r_ready():
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.skip("R or readr missing and cannot apt-get install r-base-core r-cran-readr (not root)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        command = ("apt-get update -qq && apt-get install -y -qq --no-install-recommends "
                   "-o DPkg::Lock::Timeout=300 r-base-core r-cran-readr")
        for _ in range(10):
            proc = subprocess.run(command, shell=True, env=env, capture_output=True, text=True)
            if proc.returncode == 0 or "lock" not in proc.stderr.lower():
                break
            time.sleep(30)
        assert proc.returncode == 0, f"apt-get install of R failed:\n{proc.stderr[-2000:]}"
    return shutil.which("Rscript")


def r_view(rscript: str, tables: dict[str, Path], out: Path) -> pd.DataFrame:
    proc = subprocess.run([rscript, str(R_SCRIPT), str(out), *[f"{k}={v}" for k, v in tables.items()]],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(proc.stdout)
    return pd.read_csv(out / "summary.csv", keep_default_na=False).set_index("table")


R_CLASS = {"f": "numeric", "i": "numeric", "b": "logical"}


@pytest.mark.slow
@pytest.mark.rstats
def test_r_reads_the_tables_as_pandas_does(small_study, tmp_path):
    rscript = ensure_r()
    results = small_study / "results"
    write_table(pd.read_parquet(results / "features" / "features_long.parquet"), tmp_path / "features_long.csv")
    # the small study extracts original features only; filtered images give names R cannot keep
    wide = pd.read_csv(results / "features" / "radiomics.csv")
    prefixes = ["log-sigma-1-0-mm-3D_", "wavelet-LLH_", "exponential_"]
    renamed = wide.rename(columns={c: prefixes[i % 3] + c.removeprefix("original_") for i, c in enumerate(wide.columns[3:])})
    write_table(renamed, tmp_path / "filtered.csv")
    write_table(feature_dictionary(list(renamed.columns[3:]), "radiomics"), tmp_path / "filtered_dictionary.csv")
    tables = {"wide": results / "features" / "radiomics.csv", "long": tmp_path / "features_long.csv",
              "dictionary": results / "features" / "dictionary.csv", "qc": results / "features" / "qc.csv",
              "metrics": results / "evaluation" / "metrics.csv", "filtered": tmp_path / "filtered.csv"}
    summary = r_view(rscript, tables, tmp_path)
    frames = {name: pd.read_csv(path) for name, path in tables.items()}
    print({name: frame.shape for name, frame in frames.items()})
    assert frames["wide"].shape == (12, 110) and frames["long"].shape == (12 * 107, 7)
    for name, path in tables.items():
        pandas, row = frames[name], summary.loc[name]
        assert not path.read_bytes().startswith(b"\xef\xbb\xbf") and not pandas.columns[0].startswith("Unnamed")
        assert (row.nrow, row.ncol) == (row.base_nrow, row.base_ncol) == pandas.shape, name
        assert (row.readr_warnings, row.readr_problems, row.base_warnings) == (0, 0, 0), (name, row.messages)
        types = pd.read_csv(tmp_path / f"{name}.types.csv")
        assert list(types.column) == list(pandas.columns)
        expected = ["logical" if pandas[c].isna().all() else R_CLASS.get(pandas[c].dtype.kind, "character")
                    for c in pandas.columns]  # an all-empty column (qc's reason when every case passed): NA
        assert list(types.readr_class) == expected, name
        assert list(types.base_class.replace("integer", "numeric")) == expected, name
        # readr writes 1234.0 as 1234: the values must be equal, the classes are checked above
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / f"{name}.readr.csv"), pandas, check_dtype=False,
                                      obj=f"{name} via readr")
        base = pd.read_csv(tmp_path / f"{name}.base.csv").set_axis(pandas.columns, axis=1)
        pd.testing.assert_frame_equal(base, pandas, check_dtype=False, rtol=1e-14, obj=f"{name} via read.csv")
    # read.csv's own names are the dictionary's aliases: nothing renamed without the user knowing
    for table, dictionary in (("wide", frames["dictionary"]), ("filtered", pd.read_csv(tmp_path / "filtered_dictionary.csv"))):
        seen = pd.read_csv(tmp_path / f"{table}.types.csv")
        assert list(seen.base_name)[3:] == list(dictionary.r_name) and list(seen.column)[3:] == list(dictionary.column)
    assert seen.base_name.iloc[3:6].tolist() == ["log.sigma.1.0.mm.3D_firstorder_10Percentile",
                                                 "wavelet.LLH_firstorder_90Percentile", "exponential_firstorder_Energy"]
    names = subprocess.run([rscript, "-e", "cat(make.names(readLines('stdin', encoding = 'UTF-8'), unique = TRUE), sep = '\\n')"],
                           input="\n".join(TRICKY) + "\n", capture_output=True, text=True, check=True).stdout
    assert names.splitlines() == R_ANSWER == r_names(TRICKY)
