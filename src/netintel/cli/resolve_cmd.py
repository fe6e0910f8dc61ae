"""``netintel resolve --workspace FILE``: resolve who is who across partner agencies.

Prints records, entities, clusters and merged pairs by evidence; ``--clusters-out`` writes one
row per source record (source file, agency, source record id as the partner wrote it, resolved
entity id); ``--explain ID`` shows why the records of one resolved entity were merged. Decisions:
``--confirm A B``, ``--reject A B``, ``--split ID [ID ...]`` (entity record ids), applied on the run.
"""

from __future__ import annotations

import argparse
import json

from ..errors import ResolutionError
from ..workspace import Workspace
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser("resolve", help="entity resolution across agencies (who is who)",
                              description="Resolve entity records into real-world entities: identifiers by "
                                          "normalised value, persons by strong identifiers and a Splink model, "
                                          "organisations by register or name. Analyst decisions are re-applied; "
                                          "resolved ids stay stable across runs.")
    add_workspace_arg(p)
    p.add_argument("--threshold", type=float, default=None, metavar="P",
                   help="match probability at or above which two person records are one person (default 0.9)")
    p.add_argument("--seed", type=int, default=0, help="seed of the model training (default 0)")
    p.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb",
                   help="where person pairs are scored: duckdb on this machine (default) or spark, Splink's Spark "
                        "backend (needs pip install 'netintel[spark]' and Java); same results either way")
    p.add_argument("--spark-master", metavar="URL",
                   help="Spark master for --engine spark (default local[2]; e.g. spark://host:7077, yarn)")
    p.add_argument("--model", metavar="FILE", help="a trained person model (JSON) to use instead of training")
    p.add_argument("--save-model", metavar="FILE", help="write the person model used to this JSON file")
    p.add_argument("--clusters-out", metavar="FILE.csv",
                   help="write one row per source record: source file, agency, source record id, resolved id")
    p.add_argument("--explain", metavar="ID", help="why these records were merged (a resolved id or entity record id)")
    p.add_argument("--confirm", nargs=2, metavar=("A", "B"), help="record that two entity records are one entity")
    p.add_argument("--reject", nargs=2, metavar=("A", "B"), help="record that two entity records are different")
    p.add_argument("--split", nargs="+", metavar="ID", help="split these entity records off their cluster")
    p.add_argument("--note", help="a note stored with the decision")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .. import resolve as R

    if args.explain:
        with Workspace(args.workspace, read_only=True) as ws:
            ex = R.explain(ws, args.explain)
        if args.json:
            ev = ex.evidence.copy()
            ev["evidence"] = [json.loads(e) if isinstance(e, str) else e for e in ev["evidence"]]
            emit({"resolved_id": ex.resolved_id, "members": ex.members, "evidence": ev,
                  "decisions": ex.decisions}, as_json=True)
        else:
            print(str(ex))
        return 0
    with Workspace(args.workspace) as ws:
        if args.confirm:
            R.confirm(ws, *args.confirm, note=args.note)
        if args.reject:
            R.reject(ws, *args.reject, note=args.note)
        if args.split:
            R.split(ws, args.split, note=args.note)
        kw = {}
        if args.threshold is not None:
            kw["threshold"] = args.threshold
        result = R.resolve(ws, seed=args.seed, model=args.model, engine=args.engine,
                           spark_master=args.spark_master, **kw)
    if args.save_model:
        if result.model is None:
            raise ResolutionError("no person model was used (fewer than two person records); nothing to save")
        result.model.save(args.save_model)
    if args.clusters_out:
        out = result.records.rename(columns={"source_file": "source_file"})[
            ["source_file", "agency", "kind", "source_record_id", "entity_id", "resolved_id", "method"]]
        out.sort_values(["agency", "source_file", "source_record_id"]).to_csv(args.clusters_out, index=False)
    summary = dict(result.summary)
    summary["threshold"] = result.threshold
    summary["run_id"] = result.run_id
    if args.json:
        emit(summary, as_json=True)
        return 0
    merged = summary.pop("merged_pairs")
    emit(f"Resolution run {result.run_id} (threshold {result.threshold})", as_json=False)
    for k, v in summary.items():
        if k not in ("run_id", "threshold"):
            print(f"  {k:<18} {v}")
    print("Merged pairs by evidence")
    for k, v in merged.items():
        print(f"  {k:<26} {v}")
    return 0
