"""Call-record ingest at scale: netintel's whole ingest of a CDR CSV against DuckDB reading it.

Writes a synthetic CDR CSV (caller, callee, start, duration, cell; numbers drawn from a pool of
1/20 of the rows), then in the same run times

* the reference: DuckDB ``read_csv_auto`` of the file plus a GROUP BY (caller, callee) with count,
  first/last start and total duration (what the links of the import hold);
* netintel: ``ingest(ws, [file])`` into a fresh workspace file, every check, id, event, link,
  raw record and the audit row included;

and prints the ratio (target: within 5x) and netintel's peak resident memory, measured in a child
process (target: under 3 GB).

Usage: ``python benchmarks/bench_ingest.py --sizes 100000 1000000 5000000``

Where the time goes (issue 11, measured 2026-12-03 on the shared 2-core machine, per million rows):
the rows never leave DuckDB (temporary tables in the workspace's connection, ``INSERT ... SELECT``),
ids are hashed once per distinct number and once per event, and about 60% of what is left is
DuckDB compressing the stored columns whose every value differs (event, link and record ids,
locators, raw lines: about 0.25 s per column). With ``disabled_compression_methods='dict_fsst'``
those writes take half the time but the workspace file grows fourfold (141 MB -> 585 MB at 1M
rows), so compression stays on. The reference reads and groups only five columns in parallel.
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


def reference(path: Path) -> tuple[float, int]:
    t = time.perf_counter()
    con = duckdb.connect()
    n = con.execute(f"""SELECT count(*) FROM (SELECT caller, callee, count(*), min(start), max(start), sum(duration)
                        FROM read_csv_auto('{path}') GROUP BY caller, callee)""").fetchall()[0][0]
    con.close()
    return time.perf_counter() - t, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = ap.parse_args()
    print(f"{'rows':>9} {'duckdb s':>9} {'netintel s':>10} {'ratio':>6} {'rows/s':>10} {'peak RSS':>9}  links events")
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
            print(f"{n:>9} {ref_s:>9.2f} {got['seconds']:>10.2f} {got['seconds'] / ref_s:>6.1f} "
                  f"{n / got['seconds']:>10.0f} {got['rss_mb'] / 1024:>7.2f}GB  {links} {events}", flush=True)
            csv_path.unlink()
            db.unlink()


if __name__ == "__main__":
    main()
