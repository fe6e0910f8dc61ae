"""Benchmark: netintel.search on a workspace of generated person records, against a plain scan.

It generates ``n`` person records of several agencies with the generator's truth
(:func:`netintel.synth.persons.person_records`, seed 20261 + n: never a test seed), writes them into
a workspace as entity records (one source per agency, names, dates of birth, phones, e-mails and
document numbers as properties), builds the search index, and times

* **netintel**: :func:`netintel.search.search` for names as another agency wrote them (other
  script, order, spelling), phone numbers written nationally, e-mails and document numbers;
* **reference**: the plain lookup an analyst would otherwise run, the same run, same workspace:
  DuckDB ``WHERE lower(label) = lower(?)`` on the entities table (exact only, no variants).

It prints the index build time, median and 95th percentile per query of each, the ratio, and the
recall of netintel's name queries against the truth (every record of the person found), the
share of queries whose top 5 holds another person (a person with two records and a namesake has
one there by construction) and the share where another person ranks above one of the person's
own records.

Run::

    python benchmarks/bench_search.py                 # 100k records
    python benchmarks/bench_search.py --sizes 1000000 # 1M (about 10 min, ~3 GB)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from datetime import datetime

import numpy as np
import pandas as pd

from netintel import Workspace
from netintel.search import build_index, search
from netintel.synth.persons import person_records
from netintel.workspace import PROV_COLUMNS, record_id, source_key


def load(ws: Workspace, records: pd.DataFrame) -> None:
    """Write the records as entity rows, one source per agency, in bulk."""
    now = datetime(2026, 12, 1)
    props = []
    for r in records.itertuples(index=False):
        p = {"first_name": r.first_name, "last_name": r.last_name, "birth_date": r.birth_date,
             "nationality": r.nationality, "phone": r.phone, "email": r.email, "id_number": r.id_number}
        props.append(json.dumps({k: v for k, v in p.items() if isinstance(v, str) and v}, ensure_ascii=False))
    src = {a: source_key(a, f"{a}.csv") for a in records["agency"].unique()}
    frame = pd.DataFrame({
        "entity_id": [record_id("E", a, f"person:{rid}") for a, rid in zip(records["agency"], records["record_id"])],
        "kind": "person", "label": records["full_name"], "properties": props,
        "source_id": records["agency"].map(src), "agency": records["agency"], "country": records["country"],
        "source_record_id": records["record_id"], "locator": [f"line {i + 2}" for i in range(len(records))],
        "reported": None, "grading": "B2", "grading_scheme": "admiralty", "grading_original": "B2",
        "handling": "TLP:AMBER", "releasable_to": [["PARTNERS"]] * len(records), "retain_until": None})
    ws.con.register("_bench_entities", frame)
    ws.con.execute(f"INSERT INTO entities SELECT entity_id, kind, label, properties, {', '.join(PROV_COLUMNS)} "
                   "FROM _bench_entities")
    ws.con.unregister("_bench_entities")
    for agency, sid in src.items():
        ws.con.execute("INSERT INTO sources (source_id, agency, country, file_name, imported_at) VALUES (?, ?, ?, ?, ?)",
                       [sid, agency, records.loc[records["agency"] == agency, "country"].iloc[0], f"{agency}.csv", now])


def queries(records: pd.DataFrame, rng: np.random.Generator, n: int) -> list[tuple[str, str, str | None]]:
    """(kind, query, true_id) for names written by another agency than the one asked about, phones,
    e-mails and documents."""
    multi = records[records.groupby("true_id")["true_id"].transform("size") > 1]
    picks = multi.sample(n, random_state=int(rng.integers(1 << 31)))
    out = []
    for r in picks.itertuples(index=False):
        out.append(("name", f"{r.full_name} {r.birth_date}" if isinstance(r.birth_date, str) and r.birth_date
                    else r.full_name, r.true_id))
    for col, kind in (("phone", "phone"), ("email", "email"), ("id_number", "document")):
        have = records[records[col].astype(bool)]
        for v in have[col].sample(min(n // 2, len(have)), random_state=int(rng.integers(1 << 31))):
            out.append((kind, v, None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    for n in [int(x) for x in args.sizes.split(",")]:
        t = time.perf_counter()
        records, _ = person_records(n, seed=20261 + n)
        print(f"\n== {n:,} person records (generated in {time.perf_counter() - t:.1f} s)")
        with tempfile.TemporaryDirectory() as tmp:
            ws = Workspace(os.path.join(tmp, "bench.duckdb"))
            ws.con.execute("SET memory_limit = '3GB'")
            load(ws, records)
            t = time.perf_counter()
            done = build_index(ws)
            print(f"index: {done['rows']:,} rows in {time.perf_counter() - t:.1f} s")
            qs = queries(records, np.random.default_rng(n), args.queries)
            truth = records.assign(entity_id=[record_id("E", a, f"person:{rid}")
                                              for a, rid in zip(records["agency"], records["record_id"])])
            by_true = truth.groupby("true_id")["entity_id"].agg(set).to_dict()
            of_entity = dict(zip(truth["entity_id"], truth["true_id"]))
            ours, ref, recall, false5, outranked = [], [], [], 0, 0
            per_kind: dict[str, list[float]] = {}
            search(ws, "warm up")
            for kind, q, true_id in qs:
                t = time.perf_counter()
                res = search(ws, q, limit=20)
                ours.append(time.perf_counter() - t)
                per_kind.setdefault(kind, []).append(ours[-1] * 1000)
                t = time.perf_counter()
                ws.con.execute("SELECT entity_id FROM entities WHERE lower(label) = lower(?)", [q]).fetchall()
                ref.append(time.perf_counter() - t)
                if kind == "name":
                    got = list(res.hits["entity_id"])
                    want = by_true[true_id]
                    recall.append(len(want & set(got)) / len(want))
                    false5 += any(of_entity.get(e) != true_id for e in got[:5])
                    # another person ranked above one of the person's own records
                    last = max((i for i, e in enumerate(got) if e in want), default=-1)
                    outranked += any(of_entity.get(e) != true_id for e in got[:last + 1])
            ours_ms, ref_ms = np.array(ours) * 1000, np.array(ref) * 1000
            print(f"netintel search : median {np.median(ours_ms):7.1f} ms   p95 {np.percentile(ours_ms, 95):7.1f} ms "
                  f"({len(qs)} queries: names, phones, e-mails, documents)")
            for kind, ms in per_kind.items():
                print(f"  {kind:8}: median {np.median(ms):7.1f} ms   p95 {np.percentile(ms, 95):7.1f} ms ({len(ms)} queries)")
            print(f"plain label scan: median {np.median(ref_ms):7.1f} ms   p95 {np.percentile(ref_ms, 95):7.1f} ms "
                  "(exact label only)")
            print(f"ratio netintel / scan (median): {np.median(ours_ms) / np.median(ref_ms):.2f}")
            print(f"name queries: recall of the person's records {np.mean(recall):.3f}; "
                  f"queries with another person in the top 5: {false5}/{len(recall)}, "
                  f"ranked above one of the person's own records: {outranked}/{len(recall)} "
                  "(namesakes: the generator reuses common names)")
            print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")
            ws.close()


if __name__ == "__main__":
    main()
