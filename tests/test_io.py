"""Atomic writes: every file the package writes goes through a temporary name, then a rename."""

from __future__ import annotations

import ast
import os
import stat

import pandas as pd
import pytest

from radiodeep.io import (
    atomic_path,
    current_umask,
    read_table_metadata,
    sidecar_path,
    write_json,
    write_table,
)
from tests.conftest import REPO

# calls that write a file; each must sit inside `with atomic_path(...)` (or be io.py's own)
WRITERS = {"to_csv", "to_parquet", "write_table", "savefig", "WriteImage", "save", "write_text",
           "write_bytes", "dump", "to_json", "to_netcdf", "save_pretrained"}
PACKAGE_WRITERS_OK = {"write_table", "dump"}  # radiodeep.io.write_table is atomic; json.dump(s) to a string


def writes_outside_atomic_path(tree: ast.AST) -> list[int]:
    """Line numbers of writer calls not inside a `with atomic_path(...)` block."""
    bad = []

    def visit(node: ast.AST, inside: bool) -> None:
        if isinstance(node, ast.With):
            inside = inside or any(isinstance(i.context_expr, ast.Call) and getattr(i.context_expr.func, "id", "") == "atomic_path"
                                   for i in node.items)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if name in WRITERS and name not in PACKAGE_WRITERS_OK and not inside:
                bad.append(node.lineno)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "open" and not inside:
            mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
            if isinstance(mode, ast.Constant) and any(c in str(mode.value) for c in "wax+"):
                bad.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return bad


def test_every_package_write_is_atomic():
    offenders = {}
    for path in sorted((REPO / "radiodeep").rglob("*.py")):
        lines = writes_outside_atomic_path(ast.parse(path.read_text()))
        if lines:
            offenders[str(path.relative_to(REPO))] = lines
    assert offenders == {}, f"writes outside radiodeep.io.atomic_path: {offenders}"


def test_audit_catches_a_direct_write():
    code = "def f(df, p):\n    df.to_csv(p)\n    with atomic_path(p) as t:\n        df.to_csv(t)\n    open(p, 'w')\n"
    assert writes_outside_atomic_path(ast.parse(code)) == [2, 5]


def test_failed_write_leaves_nothing(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text('{"half": ')
        raise RuntimeError("killed mid-write")
    assert list(tmp_path.iterdir()) == []
    write_json({"a": 1}, target)
    assert target.read_text() == '{\n  "a": 1\n}\n' and [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_table_metadata_in_parquet_and_csv_sidecar(tmp_path):
    df = pd.DataFrame({"case_id": ["a", "b"], "x": [1.5, 2.5]})
    write_table(df, tmp_path / "t.parquet", provenance="abc")
    write_table(df, tmp_path / "t.csv", provenance="abc")
    write_table(df, tmp_path / "plain.csv")
    assert read_table_metadata(tmp_path / "t.parquet") == {"radiodeep.provenance": "abc"}
    assert read_table_metadata(tmp_path / "t.csv") == {"radiodeep.provenance": "abc"}
    assert sidecar_path(tmp_path / "t.csv").name == "t.csv.meta.json"
    assert read_table_metadata(tmp_path / "plain.csv") == {}
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), df)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_outputs_get_the_mode_open_would_give(tmp_path, umask_022):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import SimpleITK as sitk

    from radiodeep.images import write_image
    from radiodeep.report import render_table_html

    df = pd.DataFrame({"case_id": ["a", "b"], "x": [1.5, 2.5]})
    out = tmp_path / "results" / "features"
    write_table(df, out / "t.csv", provenance="abc")
    write_table(df, out / "t.parquet", provenance="abc")
    write_json({"a": 1}, tmp_path / "results" / "provenance.json")
    write_image(sitk.Image(4, 4, 4, sitk.sitkUInt8), tmp_path / "results" / "images" / "mask.nii.gz")
    fig = plt.figure()
    with atomic_path(tmp_path / "results" / "roc.png") as tmp:
        fig.savefig(tmp)
    plt.close(fig)
    render_table_html(out / "t.csv", tmp_path / "results" / "t.html", "a table")
    modes = {p.relative_to(tmp_path).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*")}
    assert modes == {"results": 0o755, "results/features": 0o755, "results/images": 0o755,
                     "results/features/t.csv": 0o644, "results/features/t.csv.meta.json": 0o644,
                     "results/features/t.parquet": 0o644, "results/provenance.json": 0o644,
                     "results/images/mask.nii.gz": 0o644, "results/roc.png": 0o644, "results/t.html": 0o644}
    os.umask(0o077)  # a private umask is honoured too: the mode follows the umask, not a constant
    write_json({"a": 2}, tmp_path / "results" / "provenance.json")
    assert stat.S_IMODE((tmp_path / "results" / "provenance.json").stat().st_mode) == 0o600
    assert current_umask() == 0o077


@pytest.mark.slow
def test_workflow_outputs_and_report_are_readable_by_the_group(small_study_report):
    """Every file and folder of a Snakemake run (tables, images, JSON, models, report) has the mode
    open()/mkdir() give under the run's umask (0644/0755 under umask 022)."""
    results, mask = small_study_report.parent, current_umask()
    kinds = {".csv", ".parquet", ".json", ".nii", ".png", ".svg", ".html", ".skops"}
    wrong = {str(p.relative_to(results)): oct(stat.S_IMODE(p.stat().st_mode)) for p in [results, *results.rglob("*")]
             if stat.S_IMODE(p.stat().st_mode) != (0o777 if p.is_dir() else 0o666) & ~mask}
    assert wrong == {}, f"umask {mask:04o}: {wrong}"
    found = {k for k in kinds for p in results.rglob(f"*{k}")}
    assert found == kinds and small_study_report.is_file()
