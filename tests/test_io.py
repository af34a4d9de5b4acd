"""Atomic writes: every file the package writes goes through a temporary name, then a rename."""

from __future__ import annotations

import ast

import pandas as pd
import pytest

from radiodeep.io import atomic_path, read_table_metadata, sidecar_path, write_json, write_table
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
