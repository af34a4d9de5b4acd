"""Time-to-event columns of a manifest: bad values are named by row and column."""

import pandas as pd
import pytest

from radiodeep.errors import ManifestError
from radiodeep.manifest import read_manifest


def write_manifest(tmp_path, times, events):
    n = len(times)
    df = pd.DataFrame({"case_id": [f"c{i}" for i in range(n)], "image": "img.nii.gz", "label": [i % 2 for i in range(n)],
                       "os_days": times, "death": events})
    path = tmp_path / "manifest.csv"
    df.to_csv(path, index=False)
    return path


def test_good_columns_are_converted_and_empty_pairs_kept_missing(tmp_path):
    path = write_manifest(tmp_path, ["120", "35.5", "", "800"], ["1", "0", "", "1"])
    df = read_manifest(path, check_files=False, survival=[("os_days", "death")])
    assert df["os_days"].tolist()[:2] == [120.0, 35.5] and pd.isna(df["os_days"].iloc[2])
    assert df["death"].tolist() == [1, 0, pd.NA, 1]


def test_bad_time_and_event_values_name_row_and_column(tmp_path):
    path = write_manifest(tmp_path, ["0", "-4", "12 months", "30", "40", ""], ["1", "0", "1", "2", "", "1"])
    with pytest.raises(ManifestError) as err:
        read_manifest(path, check_files=False, survival=[("os_days", "death")])
    msg = str(err.value)
    assert "6 problem(s)" in msg
    assert "row 1 (line 2, case_id 'c0'), column os_days: time 0 must be > 0" in msg
    assert "row 2 (line 3, case_id 'c1'), column os_days: time -4 must be > 0" in msg
    assert "row 3 (line 4, case_id 'c2'), column os_days: time '12 months' is not a number" in msg
    assert "row 4 (line 5, case_id 'c3'), column death: event '2' must be 0 (censored) or 1 (event)" in msg
    assert "row 5 (line 6, case_id 'c4'), column death: event is empty but the time is given" in msg
    assert "row 6 (line 7, case_id 'c5'), column os_days: time is empty but the event is given" in msg


def test_missing_endpoint_column_is_named(tmp_path):
    path = write_manifest(tmp_path, ["10"], ["1"])
    with pytest.raises(ManifestError, match="missing time-to-event column.s. pfs_days"):
        read_manifest(path, label=None, check_files=False, survival=[("pfs_days", "death")])
