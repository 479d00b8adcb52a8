"""A batch file's text, read safely: a regular file of bounded size, bounded nesting.

A path may name a device (``/dev/zero`` never ends) or a FIFO (which may never
be written to); a TOML reader recurses once per nested array, so a file nested
thousands deep would exhaust Python's stack. Both are refused, with the bound,
before anything is parsed.
"""

from __future__ import annotations

import os
import re
import stat

from convgif.errors import ConvGifError

MAX_BATCH_BYTES = 1 << 20  # a batch file is a list of renders, not data
MAX_BATCH_NESTING = 32  # arrays and inline tables inside one another
PARAM = "batch"  # run_batch's argument; on the command line, its FILE


def batch_text(path, name: str) -> str:
    """The text of a batch file: a regular file (not a device or a FIFO, which may never
    end) of at most ``MAX_BATCH_BYTES``, read only after both are checked."""
    try:
        info = os.stat(os.fspath(path))
    except FileNotFoundError:
        raise ConvGifError(f"{name}: no such file", PARAM) from None
    except OSError as exc:
        raise ConvGifError(f"{name} could not be read: {exc.strerror or exc}", PARAM) from None
    if not stat.S_ISREG(info.st_mode):
        raise ConvGifError(f"{name} is not a regular file; give a .toml file", PARAM)
    if info.st_size > MAX_BATCH_BYTES:
        raise ConvGifError(
            f"{name} has {info.st_size:,} bytes (limit {MAX_BATCH_BYTES:,}): "
            "split it into smaller batch files",
            PARAM,
        )
    try:
        with open(os.fspath(path), "rb") as f:
            data = f.read(MAX_BATCH_BYTES + 1)
        return data.decode("utf-8")
    except OSError as exc:
        raise ConvGifError(f"{name} could not be read: {exc.strerror or exc}", PARAM) from None
    except UnicodeDecodeError:
        raise ConvGifError(f"{name} is not UTF-8 text", PARAM) from None


def nesting(text: str) -> int:
    """How deep brackets nest outside strings and comments (close enough to refuse a
    file that would exhaust the TOML reader's recursion)."""
    depth = deepest = 0
    quote, escaped, comment = None, False, False
    for ch in text:
        if comment:
            comment = ch != "\n"
        elif quote:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            comment = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def read_toml(path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    name = f"batch file {str(path)!r}"
    text = batch_text(path, name)
    if nesting(text) > MAX_BATCH_NESTING:
        raise ConvGifError(
            f"{name} nests arrays or tables more than {MAX_BATCH_NESTING} deep", PARAM
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib ends its message with "(at line L, column C)": lead with the line instead
        text = " ".join(str(exc).split())
        found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", text)
        if found:
            raise ConvGifError(
                f"{name}, line {found[1]} (column {found[2]}): not valid TOML: "
                f"{text[: found.start()]}",
                PARAM,
            ) from None
        raise ConvGifError(f"{name} is not valid TOML: {text}", PARAM) from None
    except (RecursionError, MemoryError):
        raise ConvGifError(f"{name} nests arrays or tables too deep to read", PARAM) from None


__all__ = ["MAX_BATCH_BYTES", "MAX_BATCH_NESTING", "batch_text", "nesting", "read_toml"]
