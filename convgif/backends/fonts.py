"""Find and load the one font both backends use.

The default is DejaVu Sans from matplotlib's package data, found on disk
without importing matplotlib (importing it costs a large share of start-up).
A user may name another font, e.g. one with CJK glyphs: a file, a file name
in the system's font folders, or a family name (``"Noto Sans CJK JP"``),
which matplotlib's font manager finds; only a family name imports matplotlib.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

from convgif.errors import NAME, ConvGifError

DEFAULT_FONT = "DejaVuSans.ttf"
DEFAULT_BOLD_FONT = "DejaVuSans-Bold.ttf"
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")


def _matplotlib_font_dir() -> Path | None:
    try:
        spec = importlib.util.find_spec("matplotlib")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    roots = list(spec.submodule_search_locations or [])
    if not roots and spec.origin:
        roots = [os.path.dirname(spec.origin)]
    for root in roots:
        folder = Path(root) / "mpl-data" / "fonts" / "ttf"
        if folder.is_dir():
            return folder
    return None


def _system_font_dirs() -> list[Path]:
    home = Path.home()
    candidates = [
        home / ".fonts",
        home / ".local" / "share" / "fonts",
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        Path("/Library/Fonts"),
        Path("/System/Library/Fonts"),
        home / "Library" / "Fonts",
        Path(os.environ.get("WINDIR", "C:\\Windows")) / "Fonts",
    ]
    return [folder for folder in candidates if folder.is_dir()]


@functools.lru_cache(maxsize=64)
def _search(name: str) -> str | None:
    """Look for a font file called ``name`` in matplotlib's and the system's font folders."""
    folders = [d for d in [_matplotlib_font_dir()] if d is not None] + _system_font_dirs()
    wanted = name.lower()
    for folder in folders:
        direct = folder / name
        if direct.is_file():
            return str(direct)
        for root, _dirs, files in sorted(os.walk(folder)):
            for file in sorted(files):
                if file.lower() == wanted:
                    return os.path.join(root, file)
    return None


def _bold_sibling(path: Path) -> Path:
    """The bold face next to a user's regular font file, or the file itself."""
    for stem in (f"{path.stem}-Bold", f"{path.stem}Bold", f"{path.stem}-bold", f"{path.stem}bd"):
        candidate = path.with_name(stem + path.suffix)
        if candidate.is_file():
            return candidate
    return path


def find_font(font: str | os.PathLike | None = None, bold: bool = False) -> str:
    """The path of a TrueType/OpenType font file.

    ``font`` is None (DejaVu Sans, shipped with matplotlib), a path to a font
    file, a font file name looked up in matplotlib's and the system's font
    folders, or a font family name (``"DejaVu Serif"``) looked up by
    matplotlib's font manager. With ``bold`` the bold face is returned when one
    can be found.
    """
    if font is None:
        name = DEFAULT_BOLD_FONT if bold else DEFAULT_FONT
        found = _search(name)
        if found is None:
            raise ConvGifError(
                f"{NAME}=None: the default font {name} was not found "
                "(it ships with matplotlib; install matplotlib or pass a font file)",
                "font",
            )
        return found
    if not isinstance(font, (str, os.PathLike)):
        raise ConvGifError(f"{NAME}={font!r} must be a font file or a family name", "font")
    path = Path(os.fspath(font)).expanduser()
    if path.is_file():
        _check_font_file(path, font)
        return str(_bold_sibling(path) if bold else path)
    if path.suffix.lower() in _FONT_SUFFIXES:
        found = _search(path.name) if path.parent == Path(".") else None
        if found is not None:
            return str(_bold_sibling(Path(found)) if bold else found)
        raise ConvGifError(
            f"{NAME}={os.fspath(font)!r} was not found: give an existing font file, or a file "
            "name installed in the system's font folders",
            "font",
        )
    if isinstance(font, str) and font.strip():
        found = _family(font.strip(), bold)
        if found is not None:
            return found
    raise ConvGifError(
        f"{NAME}={os.fspath(font)!r} is neither a font family installed here nor a font file "
        f"({', '.join(_FONT_SUFFIXES)}): give a family name such as 'DejaVu Serif', or a file",
        "font",
    )


# The first bytes of the files both backends read: TrueType, OpenType (CFF), collections.
_FONT_MAGIC = (b"\x00\x01\x00\x00", b"true", b"OTTO", b"ttcf")


def _check_font_file(path: Path, font) -> None:
    """Refuse a file that is not a TrueType/OpenType font here, where the option is
    checked: FreeType would otherwise fail mid-render (matplotlib with a RuntimeError)."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise ConvGifError(
            f"{NAME}={os.fspath(font)!r} could not be read: {exc.strerror or exc}", "font"
        ) from None
    if magic not in _FONT_MAGIC:
        raise ConvGifError(
            f"{NAME}={os.fspath(font)!r} is not a TrueType or OpenType font file "
            f"({', '.join(_FONT_SUFFIXES)})",
            "font",
        )
    load(str(path), 12)  # FreeType reads it whole: a damaged file is refused here too


@functools.lru_cache(maxsize=64)
def _family(family: str, bold: bool) -> str | None:
    """The file of a font family matplotlib's font manager knows, or None."""
    try:
        from matplotlib.font_manager import FontProperties, findfont
    except ImportError:
        return None
    weight = "bold" if bold else "normal"
    try:
        found = findfont(FontProperties(family=family, weight=weight), fallback_to_default=False)
    except ValueError:  # no such family
        return None
    return str(found) if Path(found).suffix.lower() in _FONT_SUFFIXES else None


@functools.lru_cache(maxsize=128)
def load(path: str, size: float):
    """A Pillow FreeType font of ``size`` pixels, cached (fonts repeat in every frame)."""
    from PIL import ImageFont

    try:
        # The basic layout: glyph advances as the views measure them (no shaping), the
        # same pixels on every machine, with or without libraqm, and words that can be
        # drawn once and put together (``masks.composed_mask``).
        return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)
    except OSError as exc:
        raise ConvGifError(f"{NAME}={path!r} could not be read as a font: {exc}", "font") from None
