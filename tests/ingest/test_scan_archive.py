"""`radiodeep manifest` on an archive-like tree: classic, compressed and multi-frame series found; the rest listed as skipped."""

from __future__ import annotations

import pandas as pd
import pydicom
import pytest
from pydicom.uid import generate_uid
from typer.testing import CliRunner

from radiodeep.cli import app
from radiodeep.ingest import pixels
from tests.ingest.conftest import multimodal_series, writable_copy
from tests.ingest.test_multiframe import legacy_converted

runner = CliRunner()


def _new_series(src, dest, edit=None, files=None):
    uid = generate_uid()
    dest.mkdir(parents=True)
    for f in (files or sorted(src.glob("*.dcm"))):
        ds = pydicom.dcmread(f)
        ds.SeriesInstanceUID, ds.SOPInstanceUID = uid, generate_uid()
        if edit:
            edit(ds)
        ds.save_as(dest / f.name)
    return uid


@pytest.fixture(scope="module")
def archive(ct_classic, ct_j2k, tmp_path_factory):
    root = tmp_path_factory.mktemp("archive") / "P1"
    ct, rs, _ = ct_classic
    writable_copy(ct, root / "ct")
    writable_copy(rs.parent, root / "ct_rs")
    j2k = _new_series(ct_j2k, root / "ct_j2k")
    legacy_converted(multimodal_series("STS_002", "MR")[0], root / "mr_enhanced", "MR")
    _new_series(ct, root / "scout", lambda ds: setattr(ds, "ImageType", ["ORIGINAL", "PRIMARY", "LOCALIZER"]),
                files=sorted(ct.glob("*.dcm"))[:1])
    (root / "notes.txt").write_text("acquisition notes\n")
    sr = pydicom.dcmread(rs)  # a non-image object of the same study
    sr.Modality, sr.SeriesInstanceUID = "SR", generate_uid()
    sr.save_as(root / "report.dcm")
    orphan = pydicom.dcmread(rs)  # an RTSTRUCT of a series that is not in the tree
    orphan.FrameOfReferenceUID = orphan.ReferencedFrameOfReferenceSequence[0].FrameOfReferenceUID = generate_uid()
    orphan.ReferencedFrameOfReferenceSequence[0].RTReferencedStudySequence[0].RTReferencedSeriesSequence[0].SeriesInstanceUID = generate_uid()
    orphan.SeriesInstanceUID = generate_uid()
    (root / "other_rs").mkdir()
    orphan.save_as(root / "other_rs" / "RS_other.dcm")
    return root, j2k


def test_manifest_finds_compressed_and_multiframe_and_lists_the_rest(archive, tmp_path):
    root, j2k = archive
    out = tmp_path / "manifest.csv"
    res = runner.invoke(app, ["manifest", str(root), "-o", str(out)])
    assert res.exit_code == 0, res.output
    m = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert sorted(zip(m["modality"], m["n_slices"].astype(int), m["image"].str.split("/").str[-1], strict=True)) == [
        ("CT", 48, "ct"), ("CT", 48, "ct_j2k"), ("MR", 35, "mr_enhanced")]
    assert m.loc[m["image"].str.endswith("ct"), "roi"].item() == "GTV_Mass_CT"
    skipped = pd.read_csv(tmp_path / "manifest_skipped.csv")
    reasons = dict(zip(skipped["path"].str.split("/").str[-1], skipped["reason"], strict=True))
    assert reasons["notes.txt"].startswith("not a readable DICOM file")
    assert reasons["report.dcm"] == "non-image object (Modality SR)"
    assert reasons["scout"].endswith("localizer (ImageType LOCALIZER)")
    assert reasons["RS_other.dcm"] == "RTSTRUCT references no image series found"
    assert len(skipped) == 4
    assert "skipped 4 files or series" in res.output and "1 x non-image object (Modality SR)" in res.output


def test_undecodable_series_is_skipped_with_the_package(archive, tmp_path, monkeypatch):
    root, j2k = archive
    real = pixels._available_plugins
    monkeypatch.setattr(pixels, "_available_plugins", lambda ts: [] if ts == pydicom.uid.JPEG2000Lossless else real(ts))
    out = tmp_path / "manifest.csv"
    res = runner.invoke(app, ["manifest", str(root), "-o", str(out)])
    assert res.exit_code == 0, res.output
    m = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert j2k not in set(m["series_uid"]) and len(m) == 2
    skipped = pd.read_csv(tmp_path / "manifest_skipped.csv")
    reason = skipped.loc[skipped["path"].str.endswith("ct_j2k"), "reason"].item()
    assert reason == (f"series {j2k} (CT): transfer syntax JPEG 2000 Image Compression (Lossless Only) (1.2.840.10008.1.2.4.90) "
                      "cannot be decoded here: install pylibjpeg and pylibjpeg-openjpeg (pip install ...)")
