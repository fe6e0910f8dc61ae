"""Benchmark: netintel's person resolution against a plain rapidfuzz baseline, same run, same truth.

For each size ``n`` it generates ``n`` person records of several agencies with the generator's
truth (:func:`netintel.synth.persons.person_records`, seed 20260 + n: never a test seed) and runs

* **netintel**: :func:`netintel.resolve.resolve_persons` end to end: normalisation
  (transliteration, given-name variants, skeletons, E.164 phones, documents), Splink on DuckDB
  with m and u trained on these records without labels (u by sampling, m by EM), prediction over
  eight blocking rules, clusters with cannot-link coherence;
* **baseline**: rapidfuzz all pairs within blocks, as PERFORMANCE.md measured it: blocks on the
  birth date as written and on the first three letters of surname + given name; score
  0.6 x Jaro-Winkler of the names (as written, lower case) + 0.3 x same birth date + 0.1 x same
  nationality, pairs at >= 0.85 joined by connected components.

It prints records per second and pairwise precision / recall / F1 of each against the truth, and
the ratios netintel / baseline.

Run::

    python benchmarks/bench_resolve.py                                  # 10k records
    python benchmarks/bench_resolve.py --sizes 10000,100000,1000000     # up to 1M (about 25 min; ~10 GB)
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import time

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from netintel.resolve import resolve_persons
from netintel.synth.persons import person_records


def pairwise_scores(predicted: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of a clustering (labels per record) against true labels."""
    def pairs(counts: np.ndarray) -> int:
        return int((counts * (counts - 1) // 2).sum())

    _, pred_counts = np.unique(predicted, return_counts=True)
    _, true_counts = np.unique(truth, return_counts=True)
    both = pd.DataFrame({"p": predicted, "t": truth}).groupby(["p", "t"]).size().to_numpy()
    tp, n_pred, n_true = pairs(both), pairs(pred_counts), pairs(true_counts)
    precision = tp / n_pred if n_pred else 1.0
    recall = tp / n_true if n_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def baseline(records: pd.DataFrame, threshold: float = 0.85, chunk: int = 10_000_000) -> np.ndarray:
    """rapidfuzz all pairs within blocks; returns a cluster label per record.

    The blocks' pairs come from DuckDB as integer arrays (a pandas self-merge of 1M records
    holds every ordered pair and exhausted 24 GB); they are scored in slices of ``chunk``.
    """
    import duckdb
    from rapidfuzz import process
    from rapidfuzz.distance import JaroWinkler

    n = len(records)
    df = pd.DataFrame({
        "i": np.arange(n, dtype=np.int32),
        "k1": records["birth_date"].fillna("").to_numpy(object),
        "k2": (records["last_name"].fillna("").str.lower().str[:3] + "|"
               + records["first_name"].fillna("").str.lower()).to_numpy(object),
    })
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.register("df", df)
    pairs = con.execute(
        "SELECT l.i AS a, r.i AS b FROM df l JOIN df r ON l.k1 = r.k1 AND l.i < r.i WHERE length(l.k1) > 1 "
        "UNION SELECT l.i, r.i FROM df l JOIN df r ON l.k2 = r.k2 AND l.i < r.i WHERE length(l.k2) > 1").fetchnumpy()
    con.close()
    a, b = pairs["a"].astype(np.int32), pairs["b"].astype(np.int32)
    del pairs
    names = (records["first_name"].fillna("") + " " + records["last_name"].fillna("")).str.lower().to_numpy(object)
    dob = records["birth_date"].fillna("").to_numpy(object)
    nat = records["nationality"].fillna("").to_numpy(object)
    keep_a, keep_b = [], []
    for lo in range(0, len(a), chunk):
        x, y = a[lo:lo + chunk], b[lo:lo + chunk]
        jw = process.cpdist(names[x], names[y], scorer=JaroWinkler.normalized_similarity, workers=2)
        same_dob = (dob[x] == dob[y]) & (dob[x] != "")
        same_nat = (nat[x] == nat[y]) & (nat[x] != "")
        ok = 0.6 * jw + 0.3 * same_dob + 0.1 * same_nat >= threshold
        keep_a.append(x[ok])
        keep_b.append(y[ok])
    ka = np.concatenate(keep_a) if keep_a else np.zeros(0, np.int32)
    kb = np.concatenate(keep_b) if keep_b else np.zeros(0, np.int32)
    graph = coo_matrix((np.ones(len(ka)), (ka, kb)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return labels


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _line(n: int, engine: str, secs: float, scores: tuple[float, float, float]) -> None:
    p, rec, f1 = scores
    print(f"{n:>9} {engine:>9} {secs:>8.1f} {n / secs:>10.0f} {p:>9.4f} {rec:>7.4f} {f1:>6.4f}", flush=True)


def run(n: int, *, threshold: float) -> dict:
    """One size: netintel's line is printed as soon as it is known, then the baseline's."""
    t = time.perf_counter()
    records, _ = person_records(n, seed=20260 + n, progress=n >= 200_000)
    gen = time.perf_counter() - t
    truth = records["true_id"].to_numpy()
    frame = records.drop(columns="true_id").rename(columns={"record_id": "unique_id"})

    gc.collect()
    t = time.perf_counter()
    cluster, pairs, model = resolve_persons(frame, threshold=threshold, train=True, seed=0)
    t_net = time.perf_counter() - t
    labels = cluster.reindex(frame["unique_id"]).to_numpy()
    p_net = pairwise_scores(labels, truth)
    n_pairs, left_out = len(pairs), pairs.attrs.get("blocking_left_out", [])
    peak_net = peak_mb()
    _line(n, "netintel", t_net, p_net)
    del cluster, pairs
    gc.collect()

    t = time.perf_counter()
    labels_b = baseline(records)
    t_base = time.perf_counter() - t
    p_base = pairwise_scores(labels_b, truth)
    _line(n, "baseline", t_base, p_base)
    return {"n": n, "generate_s": gen, "netintel_s": t_net, "baseline_s": t_base, "netintel": p_net,
            "baseline": p_base, "scored_pairs": n_pairs, "left_out": left_out, "peak_netintel_mb": peak_net,
            "peak_mb": peak_mb()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000", help="comma-separated record counts (e.g. 10000,100000,1000000)")
    ap.add_argument("--threshold", type=float, default=0.9, help="netintel's match probability threshold")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"person resolution benchmark on {os.cpu_count()} cores; pairwise scores against the generator's truth")
    print(f"{'records':>9} {'engine':>9} {'seconds':>8} {'records/s':>10} {'precision':>9} {'recall':>7} {'F1':>6}")
    for n in sizes:
        r = run(n, threshold=args.threshold)
        (pn, rn, fn), (pb, rb, fb) = r["netintel"], r["baseline"]
        left = f"; blocks left out: {', '.join(r['left_out'])}" if r["left_out"] else ""
        print(f"{n:>9} {'ratio':>9} netintel/baseline: speed {r['baseline_s'] / r['netintel_s']:.2f}x, "
              f"precision {pn / max(pb, 1e-9):.3f}, recall {rn / max(rb, 1e-9):.3f}, F1 {fn / max(fb, 1e-9):.3f}"
              f"  (generation {r['generate_s']:.0f} s, {r['scored_pairs']} pairs kept{left}; peak memory "
              f"{r['peak_netintel_mb']:.0f} MB after netintel, {r['peak_mb']:.0f} MB after the baseline)")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
