"""Trace records to files: CSV, JSON Lines or npz (the records, and in an npz the tensors
they index), written atomically and in bounded memory, chunk by chunk."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from convgif.io.files import atomic_write


def write_records(path, fields, chunks, arrays, total: int) -> None:
    """Records to ``path`` as CSV, JSON Lines or npz, by its suffix, atomically; an npz
    also holds ``arrays()`` (the tensors the records index)."""
    suffix = Path(os.fspath(path)).suffix.lower()
    with atomic_write(path) as tmp:
        if suffix == ".csv":
            write_csv(tmp, fields, chunks)
        elif suffix == ".jsonl":
            write_jsonl(tmp, fields, chunks)
        else:
            write_npz(tmp, arrays(), fields, total, chunks)


def _csv_number(kind: str) -> str:
    return "%d" if kind in "iub" else "%.17g"


def write_csv(tmp: Path, fields, chunks) -> None:
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(fields) + "\n")
        for table in chunks:
            if not len(table):
                continue
            fmt = ",".join(_csv_number(table.dtype[name].kind) for name in fields)
            np.savetxt(f, table[list(fields)], fmt=fmt)


def write_jsonl(tmp: Path, fields, chunks) -> None:
    import json

    with open(tmp, "w", encoding="utf-8") as f:
        for table in chunks:
            for row in table.tolist():
                # NaN (a scatter stamp that lands in the crop) is not JSON: write null.
                values = [None if isinstance(v, float) and v != v else v for v in row]
                f.write(json.dumps(dict(zip(fields, values)), separators=(",", ":")))
                f.write("\n")


def trace_arrays(trace) -> dict:
    """The arrays an npz trace holds beside its records."""
    extras = {"input": trace.x, "grid": trace.grid, "output": np.asarray(trace.output),
              "bias": trace.bias}
    return extras if trace.weight is None else {**extras, "weight": trace.weight}


def write_npz(tmp: Path, extras: dict, fields, total: int, chunks) -> None:
    import zipfile

    from convgif.io.files import scratch_folder

    # One pass over the records into one .npy per field on disk (bounded memory),
    # then into the archive with fixed timestamps (same arguments, same bytes).
    with scratch_folder(tmp.parent) as scratch:
        _field_files(scratch, fields, total, chunks)
        for name, arr in extras.items():
            np.save(scratch / f"{name}.npy", np.ascontiguousarray(arr))
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name in (*fields, *extras):
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_STORED
                with open(scratch / f"{name}.npy", "rb") as src, archive.open(
                    info, "w", force_zip64=True
                ) as dst:
                    while block := src.read(1 << 20):
                        dst.write(block)


def _field_files(scratch: Path, fields, total: int, chunks) -> None:
    """``<field>.npy`` of ``total`` records each, appended chunk by chunk with plain writes:
    a full disk is an ordinary error (a memory map would die of SIGBUS)."""
    files: dict = {}
    try:
        for table in chunks:
            if not files:
                files = {name: open(scratch / f"{name}.npy", "wb") for name in fields}
                for name, f in files.items():
                    header = {"descr": np.lib.format.dtype_to_descr(table.dtype[name]),
                              "fortran_order": False, "shape": (total,)}
                    np.lib.format.write_array_header_1_0(f, header)
            for name, f in files.items():
                f.write(np.ascontiguousarray(table[name]).tobytes())
    finally:
        for f in files.values():
            f.close()
    if not files:  # no records at all
        for name in fields:
            np.save(scratch / f"{name}.npy", np.empty(0))
