"""Atomic writes: a file is written under a temporary name, then renamed into place.

A reader (or a resumed Snakemake run) therefore never sees a half-written output. The final
file gets the mode a plain ``open()`` would give it (0666 less the umask; 0644 under umask
022), not the 0600 of the temporary file, so colleagues sharing a project folder can read it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np


def _suffix(path: Path) -> str:
    name = path.name
    for double in (".nii.gz", ".csv.gz", ".tar.gz"):
        if name.endswith(double):
            return double
    return path.suffix


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows (``/proc/self/status``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


def plain_mode(path: str | Path) -> int:
    """The mode ``open()`` / ``mkdir()`` would give ``path`` now: 0666 (0777 for a folder) less the umask."""
    return (0o777 if Path(path).is_dir() else 0o666) & ~current_umask()


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same extension); rename it to ``path`` on success.

    Example:
        >>> with atomic_path("out.csv") as tmp:  # doctest: +SKIP
        ...     df.to_csv(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{_suffix(path)}", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, plain_mode(tmp))  # mkstemp made it 0600
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    return str(obj)


def write_json(obj: Any, path: str | Path) -> None:
    """Write ``obj`` as indented, key-sorted JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def write_table(df, path: str | Path, **metadata: str) -> None:
    """Write a pandas DataFrame as CSV or Parquet (by extension), atomically.

    CSV: no index column, missing values as empty fields, UTF-8 without BOM, ``\n`` line ends
    (``readr::read_csv`` and ``read.csv`` read it with the right types and no warnings).

    Parquet files carry ``metadata`` (e.g. ``provenance=<hash>``) in their schema metadata under
    ``radiodeep.<key>``; other files get the same keys in a ``<file>.meta.json`` sidecar, written
    before the table so that a table never exists without its sidecar.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    if metadata and not path.name.endswith(".parquet"):
        write_json({f"radiodeep.{k}": str(v) for k, v in metadata.items()}, sidecar_path(path))
    with atomic_path(path) as tmp:
        if path.name.endswith(".parquet"):
            table = pa.Table.from_pandas(df, preserve_index=False)
            meta = dict(table.schema.metadata or {})
            meta.update({f"radiodeep.{k}".encode(): str(v).encode() for k, v in metadata.items()})
            pq.write_table(table.replace_schema_metadata(meta), tmp)
        else:
            # booleans as TRUE/FALSE: R's readers take them as logical (Python's True/False: character)
            flags = {c: df[c].map({True: "TRUE", False: "FALSE"}) for c in df.columns if df[c].dtype.kind == "b" or str(df[c].dtype) == "boolean"}
            (df.assign(**flags) if flags else df).to_csv(tmp, index=False, na_rep="", encoding="utf-8", lineterminator="\n")  # what R reads as it is


def sidecar_path(path: str | Path) -> Path:
    """The ``<file>.meta.json`` that carries a non-Parquet table's metadata."""
    path = Path(path)
    return path.with_name(path.name + ".meta.json")


def read_table_metadata(path: str | Path) -> dict[str, str]:
    """The ``radiodeep.*`` metadata of a table: Parquet schema metadata, else its sidecar."""
    path = Path(path)
    if path.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        meta = pq.read_schema(path).metadata or {}
        return {k.decode(): v.decode() for k, v in meta.items() if k.startswith(b"radiodeep.")}
    side = sidecar_path(path)
    return read_json(side) if side.exists() else {}


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file (or of every file below a folder, in sorted order)."""
    import hashlib

    path = Path(path)
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode())
        with open(f, "rb") as fh:
            for block in iter(lambda: fh.read(chunk), b""):
                h.update(block)
    return h.hexdigest()
