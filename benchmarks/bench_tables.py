"""Entity/link table ingest at scale: netintel's bulk path and its record path against DuckDB reading the file.

Writes a synthetic persons table as police exports hold them (one row per person: id, names, a
date of birth, some written in another form or impossible, a nationality, a document number, a
phone and an address shared between persons, per-row grading and handling; names quoted where
they hold the delimiter) with its mapping (four entity specs, three link specs, per-row
provenance), then in the same run times

* the reference: DuckDB ``read_csv_auto`` of the file plus the GROUP BYs that give its distinct
  persons, phones and addresses;
* netintel: ``ingest(ws, [file])`` into a fresh workspace file (every check, id, merge, link, raw
  record and field problem), on the bulk path;
* the record path on the same file (``--record``; at the sizes given by ``--record-up-to``),

and prints the ratios and netintel's peak resident memory, measured in a child process.

Usage: ``python benchmarks/bench_tables.py --sizes 100000 1000000 [--record]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

MAPPING = """\
format: table
delimiter: ;
date_format: '%d-%m-%Y'
record:
  grading: beoordeling
  handling: code
entities:
  person:
    kind: person
    id: persoon_id
    properties: {last_name: achternaam, first_name: voornaam, birth_date: geboortedatum, nationality: nationaliteit,
                 id_number: documentnummer}
  phone: {kind: phone, properties: {number: telefoon}}
  address: {kind: address, properties: {full: adres, city: woonplaats}}
  document: {kind: identity_document, properties: {number: documentnummer}}
links:
- {kind: uses, source: person, target: phone}
- {kind: resides_at, source: person, target: address}
- {kind: holds_document, source: person, target: document}
"""

CHILD = """
import json, resource, sys, time
if sys.argv[3] == "record":
    import netintel.ingest._bulk as bulk
    bulk.open_plain_csv = lambda *a, **k: None  # every table goes the record path
from netintel import Workspace
from netintel.ingest import ingest
t = time.perf_counter()
with Workspace(sys.argv[1]) as ws:
    report = ingest(ws, [sys.argv[2]], agency="Politie", country="NL", progress=False)
    row = report.sources.iloc[0]
    counts = [int(row.read), int(row.accepted), int(row.entities), int(row.links)]
print(json.dumps({"seconds": time.perf_counter() - t, "counts": counts,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_table(path: Path, n: int, seed: int = 5) -> None:
    """``n`` persons; phones and addresses from pools of n/3, one date of birth in 50 impossible."""
    con = duckdb.connect()
    pool = max(n // 3, 10)
    con.execute(f"""COPY (SELECT 'P-' || i AS persoon_id,
                                CASE WHEN i % 97 = 0 THEN '"Smit; ' || (hash(i + {seed}) % 500) || '"'
                                     ELSE 'Naam' || (hash(i + {seed}) % 5000) END AS achternaam,
                                'Voornaam' || (hash(i * 3 + {seed}) % 800) AS voornaam,
                                CASE WHEN i % 50 = 0 THEN '31-02-1970' WHEN i % 13 = 0 THEN (1950 + i % 50)::VARCHAR
                                     ELSE strftime(DATE '1950-01-01' + (hash(i + {seed}) % 20000)::INT, '%d-%m-%Y')
                                     END AS geboortedatum,
                                ['NL', 'BE', 'DE', 'TR', 'AL'][1 + i % 5] AS nationaliteit,
                                CASE WHEN i % 3 = 0 THEN 'NLD' || i END AS documentnummer,
                                CASE WHEN i % 4 <> 0 THEN '+3161' || lpad((hash(i * 2 + {seed}) % {pool})::VARCHAR, 7, '0')
                                     END AS telefoon,
                                'Straat ' || (hash(i * 5 + {seed}) % {pool}) AS adres,
                                ['Utrecht', 'Venlo', 'Gent'][(1 + hash(i * 5 + {seed}) % {pool} % 3)::BIGINT] AS woonplaats,
                                ['B2', 'A1', 'C3', ''][1 + i % 4] AS beoordeling,
                                ['', 'TLP:AMBER', 'TLP:GREEN'][1 + i % 3] AS code
                         FROM range({n}) t(i)) TO '{path}' (HEADER, DELIMITER ';', QUOTE '')""")
    con.close()
    path.with_name(path.stem + ".mapping.yaml").write_text(MAPPING)


def reference(path: Path) -> float:
    t = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"CREATE TEMP TABLE t AS SELECT * FROM read_csv_auto('{path}', delim=';', all_varchar=true)")
    for sql in ("SELECT count(*) FROM (SELECT persoon_id, any_value(achternaam), any_value(geboortedatum) FROM t "
                "GROUP BY persoon_id)",
                "SELECT count(*) FROM (SELECT telefoon, count(*) FROM t GROUP BY telefoon)",
                "SELECT count(*) FROM (SELECT adres, any_value(woonplaats), count(*) FROM t GROUP BY adres)"):
        con.execute(sql).fetchall()
    con.close()
    return time.perf_counter() - t


def run(db: Path, csv_path: Path, path_kind: str) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(db), str(csv_path), path_kind], capture_output=True,
                          text=True, check=True)
    db.unlink()
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--record", action="store_true", help="also time the record path")
    ap.add_argument("--record-up-to", type=int, default=1_000_000, help="largest size the record path is run at")
    args = ap.parse_args()
    print(f"{'rows':>9} {'duckdb s':>9} {'bulk s':>8} {'ratio':>6} {'peak RSS':>9}"
          + (f" {'record s':>9} {'ratio':>6} {'peak RSS':>9}" if args.record else "") + "  entities links")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            csv_path = Path(tmp) / f"personen_{n}.csv"
            write_table(csv_path, n)
            ref_s = reference(csv_path)
            bulk = run(Path(tmp) / "bulk.duckdb", csv_path, "bulk")
            line = f"{n:>9} {ref_s:>9.2f} {bulk['seconds']:>8.2f} {bulk['seconds'] / ref_s:>6.1f} " \
                   f"{bulk['rss_mb'] / 1024:>7.2f}GB"
            if args.record:
                if n <= args.record_up_to:
                    rec = run(Path(tmp) / "record.duckdb", csv_path, "record")
                    assert rec["counts"] == bulk["counts"], (rec, bulk)
                    line += f" {rec['seconds']:>9.2f} {rec['seconds'] / ref_s:>6.1f} {rec['rss_mb'] / 1024:>7.2f}GB"
                else:
                    line += f" {'-':>9} {'-':>6} {'-':>9}"
            read, accepted, entities, links = bulk["counts"]
            assert read == accepted == n, bulk
            print(line + f"  {entities} {links}", flush=True)
            csv_path.unlink()


if __name__ == "__main__":
    main()
