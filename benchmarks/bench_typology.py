"""Benchmark: communities and typology on cases from the independent simulator (``netintel.casesim``).

For each seed (never used to train the typology model or to set a default: 7001-7004 unless
given), the case is written as the partners send it, ingested, resolved and clustered as an
analyst would (``ingest``, ``resolve``, ``build_graph``, ``detect_communities``), then:

* NMI of the detected communities against the planted groups, over the planted members found
  (blind to outsiders: a group merged with ordinary people scores as well as one kept apart), so
  beside it the outsiders: persons in a group's community who are not members of that group;
* for each planted group, the typology of the community holding most of its members: right,
  ``undetermined``, or wrong (and whether a wrong one was confident, p >= 0.6);
* the model's own label beside it, for comparison (the classifier alone, no indicators and no
  partner records).

Run::

    python benchmarks/bench_typology.py               # seeds 7001-7004, scale 1
    python benchmarks/bench_typology.py --seeds 7005 --scale 2
"""

from __future__ import annotations

import argparse
import tempfile
import time

from netintel import Workspace
from netintel.casesim import simulate_case
from netintel.communities import detect_communities
from netintel.graph import build_graph
from netintel.ingest import ingest
from netintel.resolve import resolve
from netintel.typology import classify_communities


def run(seed: int, scale: float) -> dict:
    case = simulate_case(seed, scale=scale)
    with tempfile.TemporaryDirectory() as folder:
        ws = Workspace()
        ingest(ws, case.write(folder), progress=False)
    t0 = time.perf_counter()
    resolve(ws, seed=0)
    comms = detect_communities(build_graph(ws), seed=0)
    typ = classify_communities(comms, ws).set_index("community")
    seconds = time.perf_counter() - t0
    planted = case.planted(ws)
    planted = planted[planted.index.isin(set(comms.membership["id"]))]
    where = comms.membership.set_index("id")["community"]
    truth = dict(zip(case.truth["groups"]["group"], case.truth["groups"]["typology"]))
    out = {"seed": seed, "nmi": comms.nmi(planted), "right": 0, "undetermined": 0, "wrong": 0, "confident_wrong": 0,
           "model_right": 0, "seconds": seconds, "persons": 0, "outsiders": 0}
    persons = comms.membership.loc[comms.membership["kind"] == "person", ["id", "community"]]
    for group, ids in sorted(planted.groupby(planted).groups.items()):
        c = where.reindex(ids).mode().iloc[0]
        inside = persons.loc[persons["community"] == c, "id"]
        out["persons"] += len(inside)
        out["outsiders"] += int((planted.reindex(inside).fillna("") != group).sum())
        row = typ.loc[c]
        verdict = ("right" if row["typology"] == truth[group] else
                   "undetermined" if row["typology"] == "undetermined" else "wrong")
        out[verdict] += 1
        out["confident_wrong"] += verdict == "wrong" and row["probability"] >= 0.6
        out["model_right"] += row["model_typology"] == truth[group]
        print(f"  seed {seed} {group:14s} -> community {c} ({row['size']} entities): {row['typology']} "
              f"p={row['probability']:.2f} [{verdict}]; model alone {row['model_typology']} "
              f"p={row['model_probability']:.2f}")
    ws.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[7001, 7002, 7003, 7004])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    rows = [run(s, args.scale) for s in args.seeds]
    for r in rows:
        print(f"seed {r['seed']}: NMI {r['nmi']:.3f}, outsiders {r['outsiders']}/{r['persons']} persons; typology right {r['right']}/4, undetermined "
              f"{r['undetermined']}, wrong {r['wrong']} (confident {r['confident_wrong']}); model alone right "
              f"{r['model_right']}/4; {r['seconds']:.1f}s")
    n = 4 * len(rows)
    print(f"\nALL: mean NMI {sum(r['nmi'] for r in rows) / len(rows):.3f} (min {min(r['nmi'] for r in rows):.3f}), "
          f"outsiders {sum(r['outsiders'] for r in rows)}/{sum(r['persons'] for r in rows)} persons of the groups' "
          "communities; "
          f"typology right {sum(r['right'] for r in rows)}/{n}, undetermined {sum(r['undetermined'] for r in rows)}, "
          f"confident wrong {sum(r['confident_wrong'] for r in rows)}; model alone right "
          f"{sum(r['model_right'] for r in rows)}/{n}")


if __name__ == "__main__":
    main()
