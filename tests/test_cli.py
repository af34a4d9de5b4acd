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
