"""Canary harness: plant unique strings in a restricted agency's records, then search every file an
output wrote for them.

Reusable by any output (packs, exports, command JSON, search results, hit/no-hit answers): collect
the written files with :func:`written_texts` (text, SVG, HTML, JSON, CSV as they are; PDF through
pypdf's text extraction *and* its decompressed content streams; XLSX, ZIP and other archives member
by member, XML as text; PNG metadata), then :func:`find_canaries` lists every (file, canary) hit.
A harness that cannot find a canary where one must be is worthless, so tests also run it on an
output made *for* the canary's own country and require hits there (:func:`assert_found`).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

__all__ = ["Canary", "written_texts", "find_canaries", "assert_no_canary", "assert_found", "canary_agency"]


@dataclass(frozen=True)
class Canary:
    """What was planted: the agency, its country, file names and the values of its records."""

    agency: str
    country: str
    files: tuple[str, ...]
    names: tuple[str, ...]
    numbers: tuple[str, ...]

    @property
    def strings(self) -> tuple[str, ...]:
        # numbers also as digits only (E.164 without '+', as some writers normalise them)
        digits = tuple(n.lstrip("+") for n in self.numbers)
        stems = tuple(Path(f).name.split(".")[0] for f in self.files)
        return tuple(dict.fromkeys((self.agency,) + self.files + stems + self.names + self.numbers + digits))


def canary_agency(tag: str = "Zqx") -> Canary:
    """A canary agency in Luxembourg, its file names and record values, all containing ``tag``
    (numbers: Luxembourg mobiles no other fixture uses)."""
    return Canary(agency=f"{tag}canary Police Grand-Ducale", country="LU",
                  files=(f"{tag.lower()}canary_personnes.csv",),
                  names=(f"{tag}canary Alpha", f"{tag}canary Beta"),
                  numbers=("+352621990017", "+352621990029"))


def _pdf_texts(data: bytes) -> Iterator[str]:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        for page in reader.pages:
            yield page.extract_text() or ""
    except Exception as exc:  # a PDF the reader cannot open is a finding in itself
        yield f"<unreadable pdf: {exc}>"
    # raw streams too (metadata, anything a text extractor skips)
    start = 0
    while True:
        i = data.find(b"stream", start)
        if i < 0:
            break
        j = data.find(b"endstream", i)
        chunk = data[i + 6:j].strip(b"\r\n")
        try:
            yield zlib.decompress(chunk).decode("latin-1")
        except zlib.error:
            yield chunk.decode("latin-1")
        start = j + 9 if j > 0 else i + 6
    yield data.decode("latin-1")


def _texts_of(name: str, data: bytes) -> Iterator[str]:
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        yield from _pdf_texts(data)
    elif data[:4] == b"PK\x03\x04":  # xlsx, docx, zip: every member
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for member in z.namelist():
                yield from _texts_of(member, z.read(member))
    else:
        yield data.decode("utf-8", errors="replace")
        if suffix == ".png":
            yield data.decode("latin-1")


def written_texts(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str]]:
    """(file, text) for every file under the given files or folders, read as described above."""
    for p in map(Path, paths):
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            yield f, f.name  # a file's own name counts too
            for text in _texts_of(f.name, f.read_bytes()):
                yield f, text


def find_canaries(texts: Iterable[tuple[Path | str, str]], strings: Iterable[str]) -> list[tuple[str, str]]:
    """Every (file, canary) pair where the canary occurs (case-insensitive)."""
    wanted = [s for s in strings if s]
    hits = set()
    for where, text in texts:
        low = text.lower()
        for s in wanted:
            if s.lower() in low:
                hits.add((str(where), s))
    return sorted(hits)


def assert_no_canary(texts: Iterable[tuple[Path | str, str]], canary: Canary) -> None:
    hits = find_canaries(texts, canary.strings)
    assert not hits, f"{len(hits)} canary hit(s), e.g. {hits[:5]}"


def assert_found(texts: Iterable[tuple[Path | str, str]], strings: Iterable[str]) -> None:
    """The harness sees what is there: each string is found somewhere."""
    texts = list(texts)
    missing = [s for s in strings if not find_canaries(texts, [s])]
    assert not missing, f"the harness did not find {missing} where they were written"
