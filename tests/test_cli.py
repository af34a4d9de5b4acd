import json

from typer.testing import CliRunner

from radiodeep.cli import app

runner = CliRunner()


def test_check_manifest_ok_and_bad(demo_dir, tmp_path):
    ok = runner.invoke(app, ["check-manifest", str(demo_dir / "manifest.csv")])
    assert ok.exit_code == 0 and "51 cases, 51 patients, 19 positive" in ok.output
    bad = tmp_path / "m.csv"
    bad.write_text("case_id,image,label\nx/y,nowhere.nii.gz,0\n")
    res = runner.invoke(app, ["check-manifest", str(bad)])
    assert res.exit_code == 2
    assert "unsafe id 'x/y'" in res.output and "image not found" in res.output


def test_ingest_and_features_commands(demo_dir, tmp_path):
    case = demo_dir / "STS_002"
    res = runner.invoke(app, ["ingest", str(case / "PET_image.nii.gz"), "--mask", str(case / "PET_mask.nii.gz"), "-o", str(tmp_path / "in")])
    assert res.exit_code == 0, res.output
    header = json.loads((tmp_path / "in" / "header.json").read_text())
    assert header["has_reference_mask"] is True and header["roi_voxels"] > 0
    res = runner.invoke(app, ["features", str(tmp_path / "in" / "image.nii.gz"), str(tmp_path / "in" / "mask.nii.gz"), "--preset", "PET", "-o", str(tmp_path / "f.json")])
    assert res.exit_code == 0, res.output
    assert len(json.loads((tmp_path / "f.json").read_text())["features"]) == 107


def test_user_errors_are_one_line_with_the_fix(tmp_path):
    """No traceback for a user error: the first line says what is wrong and what to do."""
    from tests.conftest import DEMO

    img, msk = str(DEMO / "STS_001" / "PET_image.nii.gz"), str(DEMO / "STS_001" / "PET_mask.nii.gz")
    res = runner.invoke(app, ["embed", img, msk, "-o", str(tmp_path / "e.json")])
    assert res.exit_code == 2 and "--checkpoint is needed for backbone unet-encoder" in res.output
    res = runner.invoke(app, ["features", img, msk, "-o", str(tmp_path / "f.json")])
    assert res.exit_code == 2 and "name --modality CT|MR|PET" in res.output
    semi = tmp_path / "m.csv"
    semi.write_text("case_id;image;label\nA;a.nii.gz;1\n")
    res = runner.invoke(app, ["check-manifest", str(semi)])
    assert res.exit_code == 2 and "split by semicolons" in res.output and "Traceback" not in res.output


def test_check_manifest_reports_unlabelled_rows_and_too_few_positives(tmp_path):
    import pandas as pd

    from tests.conftest import DEMO

    m = pd.read_csv(DEMO / "manifest.csv")
    m["image"] = [str(DEMO / p) for p in m["image"]]
    m["mask"] = [str(DEMO / p) for p in m["mask"]]
    m.loc[[0, 1], "label"] = None
    m.to_csv(tmp_path / "m.csv", index=False)
    res = runner.invoke(app, ["check-manifest", str(tmp_path / "m.csv")])
    assert res.exit_code == 0 and "2 case(s) without a value in column 'label'" in res.output
    assert "STS_001, STS_002" in res.output
    res = runner.invoke(app, ["check-manifest", str(tmp_path / "m.csv"), "--folds", "20"])
    assert res.exit_code == 2 and "19 positive patient(s) cannot fill 20 cross-validation folds" in res.output
