"""Benchmark: where each stage should move as a case grows (the figures of docs/SCALING.md).

Two parts, each against its reference in the same run:

* **Resolution engines.** For each size ``n``, ``n`` generated person records
  (:func:`netintel.synth.persons.person_records`, seed 20260 + n, never a test seed) are resolved
  with the model trained once on DuckDB, then scored and clustered on each engine: DuckDB on this
  machine and Splink's Spark backend (``--spark-master``, default ``local[2]``). It prints
  records/s per engine, the ratio Spark/DuckDB, whether both gave identical clusters, and the peak
  resident memory of this process and of its children (the Spark JVM and its Python workers).
* **Out-of-core events.** A call-record CSV of ``--events`` rows (default 50M, about 2.6 GB) is
  written by DuckDB, then ingested into a workspace file under a DuckDB memory limit
  (``--memory-limit``, default 2GB: smaller than the data, so joins and aggregations spill to
  disk beside the workspace). Reference in the same run: DuckDB ``read_csv_auto`` plus a GROUP BY
  of the same file (the links' aggregate). It prints rows/s of both, the ratio, and peak memory.

Run::

    python benchmarks/bench_scaling.py --sizes 100000 --events 5000000     # a quick look
    python benchmarks/bench_scaling.py --sizes 100000,1000000              # the SCALING.md run
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd


class PeakMemory:
    """Peak resident memory of this process and, separately, the sum over its live descendants.

    ``ru_maxrss`` sees only this process (and children that have ended); Spark's JVM lives until
    the interpreter exits, so descendants are sampled from ``/proc`` every 0.2 s.
    """

    def __init__(self) -> None:
        self.children_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _rss_kb(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    @staticmethod
    def _descendants(root: int) -> list[int]:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                    parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        out, frontier = [], [root]
        while frontier:
            p = frontier.pop()
            kids = [c for c, pp in parents.items() if pp == p]
            out += kids
            frontier += kids
        return out

    def _watch(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.2):
            total = sum(self._rss_kb(p) for p in self._descendants(me))
            self.children_peak = max(self.children_peak, total)

    @property
    def self_mb(self) -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    @property
    def children_mb(self) -> float:
        return self.children_peak / 1024


def _score_child(engine: str, folder: str, master: str) -> None:
    """One engine's scoring + clustering of the records and model the parent saved in ``folder``.

    Run in its own process (``--child``): its peak memory is its own, and a Spark JVM ends with it
    (one left running from 100k records held 10 GB into the 1M run, which the kernel then killed).
    """
    import json

    from netintel.resolve import resolve_persons
    from netintel.resolve.probabilistic import MatchModel

    frame = pd.read_parquet(Path(folder) / "records.parquet")
    model = MatchModel.load(Path(folder) / "model.json")
    with PeakMemory() as mem:
        t = time.perf_counter()
        cluster, pairs, _ = resolve_persons(frame, model=model, train=False, engine=engine,
                                            spark_master=master if engine == "spark" else None)
        secs = time.perf_counter() - t
    cluster.rename("cluster").reset_index().to_parquet(Path(folder) / f"clusters-{engine}.parquet")
    print(json.dumps({"seconds": secs, "pairs": len(pairs), "self_mb": mem.self_mb, "children_mb": mem.children_mb}))


def resolution(sizes: list[int], master: str) -> None:
    import json
    import subprocess
    import sys

    from netintel.resolve.probabilistic import MatchModel, person_features
    from netintel.synth.persons import person_records

    print(f"resolution: model trained once on DuckDB, then scoring + clustering per engine, each in its own "
          f"process ({os.cpu_count()} cores; Spark master {master})")
    print(f"{'records':>9} {'engine':>7} {'seconds':>8} {'records/s':>10}  notes")
    for n in sizes:
        with tempfile.TemporaryDirectory(dir=os.environ.get("NETINTEL_BENCH_DIR")) as folder:
            records, _ = person_records(n, seed=20260 + n, progress=n >= 200_000)
            frame = records.drop(columns="true_id").rename(columns={"record_id": "unique_id"})
            t = time.perf_counter()
            model = MatchModel.train(person_features(frame), seed=0)
            train = time.perf_counter() - t
            print(f"{n:>9} {'train':>7} {train:>8.1f} {n / train:>10.0f}  DuckDB, shared by both engines", flush=True)
            frame.to_parquet(Path(folder) / "records.parquet")
            model.save(Path(folder) / "model.json")
            del records, frame, model
            gc.collect()
            results = {}
            for engine in ("duckdb", "spark"):
                run = subprocess.run([sys.executable, __file__, "--child", engine, folder, "--spark-master", master],
                                     capture_output=True, text=True)
                if run.returncode != 0:
                    log = Path(os.environ.get("NETINTEL_BENCH_DIR") or tempfile.gettempdir()) / f"scaling-{n}-{engine}.err"
                    log.write_text(run.stderr)
                    lines = [ln for ln in run.stderr.splitlines() if "Error" in ln or "Exception" in ln]
                    print(f"{n:>9} {engine:>7} FAILED (exit {run.returncode}): {(lines or ['?'])[-1][:300]} "
                          f"(whole error in {log})", flush=True)
                    continue
                out = json.loads(run.stdout.strip().splitlines()[-1])
                results[engine] = out
                print(f"{n:>9} {engine:>7} {out['seconds']:>8.1f} {n / out['seconds']:>10.0f}  {out['pairs']} pairs kept; "
                      f"peak RSS {out['self_mb']:.0f} MB in its process, {out['children_mb']:.0f} MB in its child "
                      "processes (Spark's JVM and Python workers)", flush=True)
            if len(results) == 2:
                a, b = (pd.read_parquet(Path(folder) / f"clusters-{e}.parquet").set_index("unique_id")["cluster"]
                        .sort_index() for e in ("duckdb", "spark"))
                print(f"{n:>9} {'ratio':>7} spark/duckdb time {results['spark']['seconds'] / results['duckdb']['seconds']:.2f}x; "
                      f"identical clusters: {'yes' if a.equals(b) else 'NO'}", flush=True)


def write_cdr(path: Path, rows: int, *, phones: int | None = None, seed: int = 15) -> None:
    """A call-record CSV of ``rows`` calls among ``phones`` numbers (default rows / 50), by DuckDB."""
    import duckdb

    phones = phones or max(100, rows // 50)
    con = duckdb.connect()
    con.execute(f"SELECT setseed({(seed % 1000) / 1000})")
    con.execute(f"""
        COPY (
          SELECT '+3161' || lpad(((hash(i * 2) % {phones}))::VARCHAR, 7, '0') AS caller,
                 '+3162' || lpad(((hash(i * 2 + 1) % {phones}))::VARCHAR, 7, '0') AS callee,
                 strftime(TIMESTAMP '2026-01-01' + to_seconds((hash(i * 3) % 15552000)::BIGINT),
                          '%Y-%m-%d %H:%M:%S') AS start,
                 (hash(i * 5) % 900)::INTEGER AS duration,
                 'CELL' || (hash(i * 7) % 5000)::VARCHAR AS cell
          FROM range({rows}) t(i)
        ) TO '{path.as_posix()}' (HEADER, DELIMITER ',')""")
    con.close()


def events(rows: int, memory_limit: str) -> None:
    import duckdb

    from netintel.ingest import ingest
    from netintel.workspace import Workspace

    with tempfile.TemporaryDirectory(dir=os.environ.get("NETINTEL_BENCH_DIR")) as tmp:
        tmp = Path(tmp)
        cdr = tmp / "cdr.csv"
        t = time.perf_counter()
        write_cdr(cdr, rows)
        print(f"\nout-of-core events: {rows} call records, {cdr.stat().st_size / 2**30:.2f} GiB CSV "
              f"(written in {time.perf_counter() - t:.0f} s); DuckDB memory limit {memory_limit}", flush=True)

        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{(tmp / 'ref.tmp').as_posix()}'")
        t = time.perf_counter()
        n_links = con.execute(
            f"SELECT count(*) FROM (SELECT caller, callee, count(*), min(start), max(start), sum(duration) "
            f"FROM read_csv_auto('{cdr.as_posix()}') GROUP BY caller, callee)").fetchone()[0]
        ref = time.perf_counter() - t
        con.close()
        print(f"  reference  DuckDB read_csv_auto + GROUP BY: {ref:8.1f} s  {rows / ref:>10.0f} rows/s  "
              f"{n_links} caller-callee pairs", flush=True)

        os.environ["NETINTEL_MEMORY_LIMIT"] = memory_limit
        gc.collect()
        with PeakMemory() as mem:
            t = time.perf_counter()
            with Workspace(tmp / "case.duckdb", actor="bench") as ws:
                report = ingest(ws, [cdr], agency="Telecom NL", country="NL", progress=False)
                counts = ws.counts()
            secs = time.perf_counter() - t
        totals = report.totals()
        print(f"  netintel   ingest (events + links):         {secs:8.1f} s  {rows / secs:>10.0f} rows/s  "
              f"read {totals['read']}, accepted {totals['accepted']}, quarantined {totals['quarantined']}; "
              f"{counts['links']} links, {counts['events']} events", flush=True)
        print(f"  ratio netintel/reference: {secs / ref:.1f}x; peak RSS {mem.self_mb:.0f} MB "
              f"(limit {memory_limit} for DuckDB)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000", help="person record counts, comma separated (default 100000)")
    ap.add_argument("--spark-master", default="local[2]")
    ap.add_argument("--events", type=int, default=50_000_000, help="call records for the out-of-core part (0: skip)")
    ap.add_argument("--memory-limit", default="2GB", help="DuckDB memory limit for the events part")
    ap.add_argument("--child", nargs=2, metavar=("ENGINE", "FOLDER"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _score_child(args.child[0], args.child[1], args.spark_master)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if sizes:
        resolution(sizes, args.spark_master)
    if args.events:
        events(args.events, args.memory_limit)


if __name__ == "__main__":
    main()
