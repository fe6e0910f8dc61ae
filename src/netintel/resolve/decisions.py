"""An analyst's resolution decisions: confirm a pair, reject a pair, split a cluster.

Decisions are stored in the workspace table ``resolution_decisions`` with who (``ws.actor``) and
when, written to the audit log, and applied again by every later :func:`netintel.resolve.resolve`
run: a confirmed pair is a must-link, a rejected pair a cannot-link, and a split keeps the
records split off apart from the rest of the cluster they were in. Source records never change.

Examples
--------
>>> from netintel.workspace import Workspace
>>> ws = Workspace(actor="analyst1")
>>> reject(ws, "E1", "E2", note="different fathers' names in the files").action
'reject'
>>> decisions(ws)[["action", "entity_ids", "other_ids", "actor"]].values.tolist()
[['reject', ['E1'], ['E2'], 'analyst1']]
>>> ws.close()
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Sequence

import pandas as pd

from ..errors import ResolutionError
from ..workspace import Workspace

__all__ = ["Decision", "confirm", "reject", "split", "decisions", "constraints", "ensure_tables"]

_DDL = [
    """CREATE SEQUENCE IF NOT EXISTS resolution_decision_seq""",
    """CREATE TABLE IF NOT EXISTS resolution_decisions (
        decision_id BIGINT DEFAULT nextval('resolution_decision_seq'), action VARCHAR NOT NULL,
        entity_ids VARCHAR[] NOT NULL, other_ids VARCHAR[] NOT NULL, actor VARCHAR, "at" TIMESTAMP,
        note VARCHAR, resolved_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS resolution (
        entity_id VARCHAR PRIMARY KEY, resolved_id VARCHAR NOT NULL, method VARCHAR, run_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS resolution_ids (
        resolved_id VARCHAR PRIMARY KEY, created_run BIGINT, created_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS resolution_runs (
        run_id BIGINT PRIMARY KEY, run_at TIMESTAMP, actor VARCHAR, threshold DOUBLE, seed BIGINT,
        n_records BIGINT, n_entities BIGINT, n_clusters BIGINT, model JSON, summary JSON)""",
    """CREATE TABLE IF NOT EXISTS resolution_pairs (
        run_id BIGINT, entity_a VARCHAR, entity_b VARCHAR, kind VARCHAR, method VARCHAR, rule VARCHAR,
        match_probability DOUBLE, match_weight DOUBLE, agreed VARCHAR, evidence JSON, merged BOOLEAN)""",
]


def ensure_tables(ws: Workspace) -> None:
    """Create the resolution tables when they are missing (nothing to do on a read-only file)."""
    if all(ws.has_table(t) for t in ("resolution_decisions", "resolution", "resolution_ids", "resolution_runs",
                                     "resolution_pairs")):
        return
    for ddl in _DDL:
        ws.execute(ddl)


@dataclass(frozen=True)
class Decision:
    """One stored decision."""

    decision_id: int
    action: str
    entity_ids: tuple[str, ...]
    other_ids: tuple[str, ...]
    actor: str
    at: datetime
    note: str | None = None


def _known(ws: Workspace, ids: Iterable[str]) -> None:
    ids = [str(i) for i in ids]
    known = set(ws.sql("SELECT DISTINCT entity_id FROM entities WHERE entity_id IN (SELECT unnest(?))",
                       [ids])["entity_id"])
    missing = [i for i in ids if i not in known]
    if missing and ws.counts()["entities"]:
        raise ResolutionError(f"no entity record with id {', '.join(missing)} in this workspace; "
                              "give entity record ids (see resolve --clusters-out or explain)")


def _store(ws: Workspace, action: str, ids: Sequence[str], others: Sequence[str], note: str | None,
           resolved_id: str | None = None) -> Decision:
    ensure_tables(ws)
    at = datetime.now(timezone.utc).replace(tzinfo=None)
    row = ws.con.execute(
        'INSERT INTO resolution_decisions (action, entity_ids, other_ids, actor, "at", note, resolved_id) '
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING decision_id",
        [action, list(ids), list(others), ws.actor, at, note, resolved_id]).fetchone()
    ws.audit(f"resolution_{action}", {"decision_id": int(row[0]), "entity_ids": list(ids),
                                      "other_ids": list(others), "note": note, "resolved_id": resolved_id})
    return Decision(int(row[0]), action, tuple(ids), tuple(others), ws.actor, at, note)


def confirm(ws: Workspace, entity_a: str, entity_b: str, *, note: str | None = None) -> Decision:
    """Record that two entity records are the same real-world entity (a must-link)."""
    if entity_a == entity_b:
        raise ResolutionError("confirm needs two different entity record ids")
    _known(ws, [entity_a, entity_b])
    return _store(ws, "confirm", [entity_a], [entity_b], note)


def reject(ws: Workspace, entity_a: str, entity_b: str, *, note: str | None = None) -> Decision:
    """Record that two entity records are different entities (a cannot-link)."""
    if entity_a == entity_b:
        raise ResolutionError("reject needs two different entity record ids")
    _known(ws, [entity_a, entity_b])
    return _store(ws, "reject", [entity_a], [entity_b], note)


def split(ws: Workspace, entity_ids: Sequence[str], *, note: str | None = None) -> Decision:
    """Split ``entity_ids`` off the cluster they are in now: they stay apart from its other records.

    Needs a resolution run (the cluster is the one of the last run).
    """
    ids = [str(i) for i in entity_ids]
    if not ids:
        raise ResolutionError("split needs at least one entity record id")
    _known(ws, ids)
    ensure_tables(ws)
    cur = ws.sql("SELECT entity_id, resolved_id FROM resolution WHERE entity_id IN (SELECT unnest(?))", [ids])
    if len(cur) != len(set(ids)):
        raise ResolutionError("split: run resolve first; some records have no resolved entity yet")
    clusters = sorted(set(cur["resolved_id"]))
    if len(clusters) != 1:
        raise ResolutionError(f"split: the records belong to several resolved entities ({', '.join(clusters)}); "
                              "split one cluster at a time")
    rest = ws.sql("SELECT entity_id FROM resolution WHERE resolved_id = ? AND entity_id NOT IN (SELECT unnest(?)) "
                  "ORDER BY entity_id", [clusters[0], ids])["entity_id"].tolist()
    if not rest:
        raise ResolutionError(f"split: {clusters[0]} has no other records than these; nothing to split")
    return _store(ws, "split", sorted(set(ids)), rest, note, resolved_id=clusters[0])


def decisions(ws: Workspace) -> pd.DataFrame:
    """Every decision, oldest first: ``decision_id, action, entity_ids, other_ids, actor, at, note``."""
    if not ws.has_table("resolution_decisions"):
        return pd.DataFrame(columns=["decision_id", "action", "entity_ids", "other_ids", "actor", "at", "note",
                                     "resolved_id"])
    df = ws.sql('SELECT decision_id, action, entity_ids, other_ids, actor, "at", note, resolved_id '
                "FROM resolution_decisions ORDER BY decision_id")
    df["entity_ids"] = [list(x) for x in df["entity_ids"]]
    df["other_ids"] = [list(x) for x in df["other_ids"]]
    return df


def constraints(ws: Workspace) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(must_link, cannot_link)`` pairs from every decision, later decisions winning.

    A later reject cancels an earlier confirm of the same pair and the other way round.
    """
    latest: dict[tuple[str, str], str] = {}
    for action, ids, others in decisions(ws)[["action", "entity_ids", "other_ids"]].itertuples(index=False):
        for a in ids:
            for b in others:
                key = (min(a, b), max(a, b))
                latest[key] = "must" if action == "confirm" else "cannot"
    must = sorted(k for k, v in latest.items() if v == "must")
    cannot = sorted(k for k, v in latest.items() if v == "cannot")
    return must, cannot
