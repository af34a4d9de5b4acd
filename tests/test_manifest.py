import pandas as pd
import pytest

from radiodeep.errors import ManifestError
from radiodeep.manifest import covariate_columns, read_manifest


def test_demo_manifest_resolves_and_codes_labels(demo_dir):
    df = read_manifest(demo_dir / "manifest.csv")
    assert len(df) == 51
    assert int(df["label"].sum()) == 19
    assert df["image"].map(lambda p: p.startswith(str(demo_dir))).all()
    assert (df["patient_id"] == df["case_id"]).all()


def _write(tmp_path, rows, header="case_id,image,mask,label"):
    (tmp_path / "a.nii.gz").write_bytes(b"x")
    (tmp_path / "b.nii.gz").write_bytes(b"x")
    text = header + "\n" + "\n".join(rows) + "\n"
    path = tmp_path / "manifest.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "rows, expected",
    [
        (["c1,a.nii.gz,,0", "c1,b.nii.gz,,1"], r"row 2 \(line 3, case_id 'c1'\), column case_id: duplicate case_id \(first at row 1\)"),
        (["c1,a.nii.gz,,0", "c2,missing.nii.gz,,1"], r"row 2 \(line 3, case_id 'c2'\), column image: image not found: .*missing\.nii\.gz"),
        (["c1,a.nii.gz,,0", "c2,b.nii.gz,,2"], r"row 2 \(line 3, case_id 'c2'\), column label: label '2' is not binary"),
        (["../c1,a.nii.gz,,0", "c2,b.nii.gz,,1"], r"row 1 \(line 2, case_id '../c1'\), column case_id: unsafe id '../c1'"),
        (["..,a.nii.gz,,0", "c2,b.nii.gz,,1"], r"row 1 \(line 2, case_id '..'\), column case_id: unsafe id"),
        (["c1,a.nii.gz,nomask.nii.gz,0", "c2,b.nii.gz,,1"], r"row 1 .*column mask: mask not found"),
        (["c1,a.nii.gz,,0", "c2,b.nii.gz,,0"], r"single class"),
    ],
)
def test_bad_rows_name_row_and_column(tmp_path, rows, expected):
    with pytest.raises(ManifestError, match=expected):
        read_manifest(_write(tmp_path, rows))


def test_all_problems_reported_together(tmp_path):
    path = _write(tmp_path, ["c1,a.nii.gz,,0", "c1,b.nii.gz,,yes", "c/3,zz.nii.gz,,7"])
    with pytest.raises(ManifestError) as err:
        read_manifest(path)
    msg = str(err.value)
    assert "duplicate case_id" in msg and "unsafe id 'c/3'" in msg and "label '7'" in msg and "zz.nii.gz" in msg


def test_missing_label_column_names_it(tmp_path):
    path = _write(tmp_path, ["c1,a.nii.gz,,0"], header="case_id,image,mask,outcome")
    with pytest.raises(ManifestError, match="missing column.*label"):
        read_manifest(path)


def test_custom_label_patient_default_and_covariates(tmp_path):
    path = _write(tmp_path, ["c1,p1,a.nii.gz,true,63", "c2,,b.nii.gz,false,70"], header="case_id,patient_id,image,relapse,age")
    df = read_manifest(path, label="relapse")
    assert list(df["label"]) == [1, 0]
    assert list(df["patient_id"]) == ["p1", "c2"]
    assert covariate_columns(df, "relapse") == ["age"]
    assert isinstance(df, pd.DataFrame)
