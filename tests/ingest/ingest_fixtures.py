"""Small partner files for the ingest tests (fixtures in conftest.py)."""

from __future__ import annotations

import textwrap
from pathlib import Path


PERSONS_CSV = """\
persoon_id,voornaam,achternaam,geboortedatum,telefoon,beoordeling,code
P-1,Jan,de Vries,17-03-1975,+31612345678,B2,AMBER
P-2,Piet,Jansen,1980,+31687654321,,
P-3,Anna,Bakker,not a date,,,
P-2,Pieter,Jansen,1980,,,
P-4,Els,Visser,01-01-1990,+31611111111,Q9,
P-5,Kees,Smit,05-05-1985,,,PURPLE
"""

PERSONS_MAPPING = """\
format: table
date_format: "%d-%m-%Y"
record:
  grading: beoordeling
  handling: code
entities:
  person:
    kind: person
    id: persoon_id
    properties: {first_name: voornaam, last_name: achternaam, birth_date: geboortedatum}
  phone: {kind: phone, properties: {number: telefoon}}
links:
  - {kind: uses, source: person, target: phone}
"""

RELATIONS_CSV = """\
relatie_id,a,b,relatie,sinds
R-1,P-1,P-2,familie,2020-01-05
R-2,P-2,P-4,medeplichtige,2021-02-01
R-3,P-1,P-4,vijand,2021-03-01
R-4,P-1,,familie,2021-04-01
R-1,P-4,P-5,familie,2021-05-01
"""

RELATIONS_MAPPING = """\
entities:
  a: {kind: person, id: a}
  b: {kind: person, id: b}
links:
  - {kind_column: relatie, kinds: {familie: family_of, medeplichtige: associate_of}, source: a, target: b,
     id: relatie_id, first_seen: sinds}
"""

CDR_CSV = """\
caller,callee,start,duration,cell
+31612345678,+32470000001,2026-06-01T00:08:00,65,NL-AMS-01
+31612345678,+32470000001,20260601 0010,00:02:05,NL-AMS-01
+31612345678,+32470000001,01/06/2026 00:20,10,NL-AMS-02
+31612345678,+32470000002,1780273800,,BE-ANT-07
+32470000002,,2026-06-01,5,BE-ANT-07
+32470000002,+31612345678,2026-13-45,5,BE-ANT-07
+32470000002,+31612345678,2026-06-02 10:00,five,BE-ANT-07
"""

TRANSACTIONS_CSV = """\
from_account,to_account,amount,currency,time
NL91ABNA0417164300,BE68539007547034,1500.00,EUR,2026-05-01
NL91ABNA0417164300,BE68539007547034,"2,500.50",eur,2026-05-03
BE68539007547034,bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq,0.25,BTC,2026-05-04T12:00:00Z
NL91ABNA0417164300,BE68539007547034,lots,EUR,2026-05-05
NL91ABNA0417164300,BE68539007547034,10,EURO!,2026-05-06
"""


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), "utf-8")
    return path


SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


def sample_truth(suffixes: tuple[str, ...], what: str):
    """The committed sample's files of one format, each with its provenance, the entity records the
    generator wrote into it (kind, source record id) and the locators it planted as malformed."""
    import csv

    import pytest
    import yaml

    from netintel.ingest._common import Provenance

    truth = SAMPLE / "truth"
    if not (truth / "records.csv").exists():
        pytest.skip("no sample case (python -m netintel.synth --out data/sample --seed 7)")
    with open(truth / "records.csv", encoding="utf-8") as f:
        records = list(csv.DictReader(f))
    with open(truth / "malformed.csv", encoding="utf-8") as f:
        malformed = list(csv.DictReader(f))
    files = sorted({r["file"] for r in records if r["file"].endswith(suffixes)})
    out = []
    for name in files:
        settings = yaml.safe_load((SAMPLE / name).parent.joinpath("source.yaml").read_text("utf-8"))
        prov = Provenance(settings["agency"], settings["country"], grading=str(settings.get("grading")),
                          grading_scheme=settings.get("grading_scheme"), handling=settings.get("handling"))
        expected = {(r["kind"], r["source_record_id"]) for r in records if r["file"] == name}
        bad = {r["locator"] for r in malformed if r["file"] == name}
        out.append((SAMPLE / name, prov, expected, bad))
    if not out:
        pytest.skip(f"the sample case has no {what} file")
    return out


def blank_line(row: list[str]) -> bool:
    """Whether ``csv.writer`` writes ``row`` as a blank (whitespace-only) line, which holds no record.

    It writes ``[]`` as an empty line and a lone whitespace field bare (``[""]`` and a field with a
    line break are quoted, so they are records: empty or malformed, but counted).
    """
    return not row or (len(row) == 1 and row[0] != "" and not row[0].strip() and "\r" not in row[0]
                       and "\n" not in row[0])
