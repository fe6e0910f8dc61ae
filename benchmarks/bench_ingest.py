"""Call-record ingest at scale: netintel's whole ingest of a CDR CSV against DuckDB reading it.

Writes a synthetic CDR CSV (caller, callee, start, duration, cell; numbers drawn from a pool of
1/20 of the rows), then in the same run times

* the reference: DuckDB ``read_csv_auto`` of the file plus a GROUP BY (caller, callee) with count,
  first/last start and total duration (what the links of the import hold);
* netintel: ``ingest(ws, [file])`` into a fresh workspace file, every check, id, event, link,
  raw record and the audit row included;

and prints the ratio (target: within 5x) and netintel's peak resident memory, measured in a child
process (target: under 3 GB).

``--floor`` also times, in the same run, the least any design that keeps the call records must do:
DuckDB alone reads the lines, splits and types them (no check), codes the numbers as integers,
and writes the entities, the events and the links as integer columns and the raw lines into a
fresh database file (no ids, no provenance, no quarantine). Its ratio to the reference is the
bound the target has to be read against. A second floor keeps the raw lines as the file's own
bytes (copied beside the database, as a store that keeps each source file whole and finds a record
by its line would) instead of a column of strings: the bound for that storage design. A third keeps
the file whole too but reads it with DuckDB's parallel typed CSV reader instead of splitting lines
(each row's line is its place in the insertion order, which holds only for a file without quoted
line breaks): the least any design of it does.

``--xlsx`` writes the same call records as a workbook instead (the start a date-time cell, the
duration a number cell) and times, in the same run, pandas reading the sheet with calamine (the
least any reader of it does), netintel's ingest (the sheet's cells into DuckDB, the bulk path) and
netintel's record path on the same file (a dict per row, as before issue 11's workbook change).

Usage: ``python benchmarks/bench_ingest.py --sizes 100000 1000000 5000000 [--floor]`` or
``--sizes 100000 --xlsx``

Where the time goes (issue 11, measured 2026-12-03 on the shared 2-core machine, per million rows):
the rows never leave DuckDB (temporary tables in the workspace's connection, ``INSERT ... SELECT``),
ids are hashed once per distinct number and once per event, and about 60% of what is left is
DuckDB compressing the stored columns whose every value differs (event, link and record ids,
locators, raw lines: about 0.25 s per column). With ``disabled_compression_methods='dict_fsst'``
those writes take half the time but the workspace file grows fourfold (141 MB -> 585 MB at 1M
rows), so compression stays on. Per-column ``USING COMPRESSION zstd`` on those columns (2026-12-04)
wrote five of them in 1.85 s against 3.19 s in isolation, but the whole 5M ingest only 24.0 s
against 24.9 s, for a file 6% larger: not done. The reference reads and groups only five columns in
parallel.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

CHILD = """
import json, resource, sys, time
from netintel import Workspace
from netintel.ingest import ingest
if len(sys.argv) > 3 and sys.argv[3] == "record":  # the record path: the bulk reader declines every file
    import netintel.ingest.events as events
    events.open_plain_csv = lambda *a, **k: None
t = time.perf_counter()
with Workspace(sys.argv[1]) as ws:
    report = ingest(ws, [sys.argv[2]], agency="KPN warrant", country="NL", progress=False)
    row = report.sources.iloc[0]
    counts = [int(row.read), int(row.accepted), int(row.links), int(row.events)]
print(json.dumps({"seconds": time.perf_counter() - t, "counts": counts,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_cdr(path: Path, n: int, seed: int = 11) -> None:
    con = duckdb.connect()
    pool = max(n // 20, 10)
    con.execute(f"SELECT setseed({1 / (seed + 1)})")
    con.execute(f"""COPY (SELECT '+3161' || lpad((hash(i * 2 + {seed}) % {pool})::VARCHAR, 7, '0') AS caller,
                                '+3247' || lpad((hash(i * 2 + 1 + {seed}) % {pool})::VARCHAR, 7, '0') AS callee,
                                strftime(TIMESTAMP '2026-01-01' + to_seconds(i * 3), '%Y-%m-%d %H:%M:%S') AS start,
                                (hash(i + {seed}) % 900)::INT AS duration, 'NL-' || (i % 700) AS cell
                         FROM range({n}) t(i)) TO '{path}' (HEADER, DELIMITER ',', QUOTE '')""")
    con.close()


def write_xlsx(csv_path: Path, path: Path) -> None:
    """The CDR at ``csv_path`` as a workbook: start as date-time cells, duration as number cells."""
    from openpyxl import Workbook

    frame = duckdb.sql(f"SELECT * FROM read_csv_auto('{csv_path}')").df()
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("CDR")
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([row.caller, row.callee, row.start.to_pydatetime(), int(row.duration), row.cell])
    wb.save(path)


def xlsx_run(n: int, tmp: str) -> None:
    import pandas as pd

    csv_path, path = Path(tmp) / f"cdr_{n}.csv", Path(tmp) / f"cdr_{n}.xlsx"
    write_cdr(csv_path, n)
    write_xlsx(csv_path, path)
    t = time.perf_counter()
    pd.read_excel(path, engine="calamine", header=None, dtype=object)
    read_s = time.perf_counter() - t
    got = {}
    for how in ("bulk", "record"):
        db = Path(tmp) / f"ws_{how}.duckdb"
        done = subprocess.run([sys.executable, "-c", CHILD, str(db), str(path), how], capture_output=True,
                              text=True, check=True)
        got[how] = json.loads(done.stdout.strip().splitlines()[-1])
        assert got[how]["counts"][:3] == [n, n, got["bulk"]["counts"][2]], got
        db.unlink()
    b, r = got["bulk"], got["record"]
    print(f"{n:>9} {read_s:>12.2f} {b['seconds']:>9.2f} {b['seconds'] / read_s:>6.1f} {r['seconds']:>10.2f} "
          f"{r['seconds'] / b['seconds']:>10.1f} {b['rss_mb'] / 1024:>7.2f}GB {r['rss_mb'] / 1024:>7.2f}GB", flush=True)
    csv_path.unlink()
    path.unlink()


def reference(path: Path) -> tuple[float, int]:
    t = time.perf_counter()
    con = duckdb.connect()
    n = con.execute(f"""SELECT count(*) FROM (SELECT caller, callee, count(*), min(start), max(start), sum(duration)
                        FROM read_csv_auto('{path}') GROUP BY caller, callee)""").fetchall()[0][0]
    con.close()
    return time.perf_counter() - t, n


FLOORS = ("lines", "file", "typed")


def floor(path: Path, db: Path, design: str = "lines") -> float:
    """Seconds of the bare persisting pipeline (see the module docstring); ``db`` is removed after.

    ``design``: ``lines``, the raw lines a column of strings; ``file``, the raw lines the file's bytes
    copied beside ``db``; ``typed``, the file kept so and its fields read by DuckDB's typed reader.
    """
    import shutil

    if design not in FLOORS:
        raise ValueError(f"floor design {design!r}: expected one of {', '.join(FLOORS)}")
    typed = "try_strptime(t, '%Y-%m-%d %H:%M:%S') AS t, TRY_CAST(d AS DOUBLE) AS d"
    if design == "typed":
        fields = ", ".join(f"'{c}': 'VARCHAR'" for c in ("a", "b", "t", "d", "cell"))
        # rowid is the row's place in insertion order, which CREATE TABLE AS keeps from a parallel read
        read = [f"""CREATE TEMP TABLE _read AS SELECT * FROM read_csv('{path}', header=true, delim=',', quote='',
                    escape='', auto_detect=false, null_padding=true, columns={{{fields}}})""",
                f"CREATE TEMP TABLE _rows AS SELECT rowid + 2 AS n, a, b, {typed}, cell FROM _read"]
    else:
        read = [f"""CREATE TEMP TABLE _rows AS SELECT n, line, a, b, {typed}, cell
                    FROM (SELECT n, line, f[1] AS a, f[2] AS b, f[3] AS t, f[4] AS d, f[5] AS cell
                          FROM (SELECT row_number() OVER () AS n, line, string_split(line, ',') AS f
                                FROM read_csv('{path}', columns={{'line': 'VARCHAR'}}, delim=chr(1), quote='',
                                              escape='', header=false, auto_detect=false)))
                    WHERE n > 1"""]
    t = time.perf_counter()
    con = duckdb.connect(str(db))
    for sql in read + [
        """CREATE TEMP TABLE _codes AS SELECT row_number() OVER () AS code, v
           FROM (SELECT DISTINCT v FROM (SELECT a AS v FROM _rows UNION ALL SELECT b FROM _rows))""",
        "CREATE TABLE entities AS SELECT code, v AS number FROM _codes",
        """CREATE TEMP TABLE _events AS SELECT r.n, ca.code AS s, cb.code AS t, r.t AS "time", r.d, r.cell
           FROM _rows r JOIN _codes ca ON ca.v = r.a JOIN _codes cb ON cb.v = r.b""",
        "CREATE TABLE events AS SELECT * FROM _events",
        """CREATE TABLE links AS SELECT s, t, count(*) AS count, min("time") AS first_seen, max("time") AS last_seen,
           sum(d) AS total_duration FROM _events GROUP BY s, t""",
        "CREATE TABLE raw_records AS SELECT n, line FROM _rows" if design == "lines" else "SELECT 1",
        "CHECKPOINT",
    ]:
        con.execute(sql)
    con.close()
    if design != "lines":
        shutil.copyfile(path, db.with_suffix(".raw"))
    seconds = time.perf_counter() - t
    db.unlink()
    db.with_suffix(".raw").unlink(missing_ok=True)
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--floor", action="store_true", help="also time the bare persisting pipeline (see above)")
    ap.add_argument("--xlsx", action="store_true", help="the call records as a workbook (see above)")
    args = ap.parse_args()
    if args.xlsx:
        print(f"{'rows':>9} {'calamine s':>12} {'bulk s':>9} {'ratio':>6} {'record s':>10} "
              f"{'record/bulk':>10} {'bulk RSS':>9} {'record RSS':>9}")
        with tempfile.TemporaryDirectory() as tmp:
            for n in args.sizes:
                xlsx_run(n, tmp)
        return
    print(f"{'rows':>9} {'duckdb s':>9} {'netintel s':>10} {'ratio':>6} {'rows/s':>10} {'peak RSS':>9}  links events"
          + ("  floor s (ratio): raw lines as strings, as the file, as the file read typed" if args.floor else ""))
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            csv_path = Path(tmp) / f"cdr_{n}.csv"
            write_cdr(csv_path, n)
            ref_s, ref_links = reference(csv_path)
            db = Path(tmp) / f"ws_{n}.duckdb"
            done = subprocess.run([sys.executable, "-c", CHILD, str(db), str(csv_path)], capture_output=True,
                                  text=True, check=True)
            got = json.loads(done.stdout.strip().splitlines()[-1])
            read, accepted, links, events = got["counts"]
            assert read == accepted == events == n and links == ref_links, (got, ref_links)
            bare = ""
            if args.floor:
                bare = "".join(f"  {f:.2f} ({f / ref_s:.1f})"
                               for f in (floor(csv_path, Path(tmp) / "floor.duckdb", d) for d in FLOORS))
            print(f"{n:>9} {ref_s:>9.2f} {got['seconds']:>10.2f} {got['seconds'] / ref_s:>6.1f} "
                  f"{n / got['seconds']:>10.0f} {got['rss_mb'] / 1024:>7.2f}GB  {links} {events}{bare}", flush=True)
            csv_path.unlink()
            db.unlink()


if __name__ == "__main__":
    main()
