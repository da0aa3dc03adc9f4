"""The CJK faces an official document is set in, and where a machine keeps them.

GB/T 9704 names 小标宋 (title, masthead), 仿宋 (body) and 黑体 (urgency); those are commercial
faces. The free stand-ins are Noto Serif CJK SC (Bold for 小标宋, Regular for the body) and Noto
Sans CJK SC (黑体), from the Debian package `fonts-noto-cjk`. Its files are OpenType collections
whose faces have come in the order JP, KR, SC, TC, HK since Noto CJK 2.000, so SC is face 2 (the
tests read the embedded font names back out of a rendered PDF to hold this true).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DEBIAN_PACKAGE = "fonts-noto-cjk"
SC_FACE = 2
DEFAULT_FONT_DIRS: tuple[Path, ...] = (Path("/usr/share/fonts/opentype/noto"),)


class FontsMissing(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class FontFace:
    path: Path
    index: int = 0


@dataclass(frozen=True, slots=True)
class DocumentFonts:
    song: FontFace  # body, for 仿宋
    song_bold: FontFace  # title and masthead, for 小标宋
    hei: FontFace  # urgency mark, for 黑体


def find_document_fonts(dirs: Sequence[Path] = DEFAULT_FONT_DIRS) -> DocumentFonts:
    """The Noto CJK SC faces from the first directory that holds all three; raises `FontsMissing`."""
    names = ("NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc", "NotoSansCJK-Regular.ttc")
    for directory in dirs:
        paths = [directory / name for name in names]
        if all(path.is_file() for path in paths):
            song, song_bold, hei = (FontFace(path, SC_FACE) for path in paths)
            return DocumentFonts(song=song, song_bold=song_bold, hei=hei)
    searched = ", ".join(str(d) for d in dirs)
    raise FontsMissing(f"Noto CJK fonts not found in {searched}: install the Debian package {DEBIAN_PACKAGE}")
