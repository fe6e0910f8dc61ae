"""Shared loading for the time analyses: events on resolved ids, labels, who uses which identifier.

Internal: :mod:`temporal`, :mod:`switching` and :mod:`colocation` build on these frames so they
all see the same entities (resolved ids, never raw record ids) and the same clock (naive UTC).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from ..workspace import Workspace

__all__ = ["resolved_events", "entity_info", "identifier_owners", "to_timestamp", "number_key",
           "COMMUNICATION_KINDS"]

#: Event kinds that are contact between two identifiers (as opposed to a sighting of one).
COMMUNICATION_KINDS: tuple[str, ...] = ("call", "message", "transfer")

EVENT_FRAME_COLUMNS = ["event_id", "kind", "source", "target", "time", "duration", "amount", "currency",
                       "place", "agency", "country", "handling", "releasable_to"]


#: Already read tables of a workspace: ``entities``, ``links``, ``events`` (as ``ws.entities()`` ...
#: give them) and ``resolved_ids``; a caller that has read them passes them on instead of a second read.
Tables = Mapping[str, pd.DataFrame]


def read_table(ws: Workspace, name: str, tables: Tables | None = None, kinds: Iterable[str] | None = None
               ) -> pd.DataFrame:
    """``ws.<name>(kinds)``, taken from ``tables`` when they hold it (filtered to ``kinds``, order kept)."""
    frame = (tables or {}).get(name)
    if frame is None:
        return ws.resolved_ids() if name == "resolved_ids" else getattr(ws, name)(
            list(kinds) if kinds is not None else None)
    if kinds is not None and name != "resolved_ids":
        frame = frame[frame["kind"].isin(list(kinds))].reset_index(drop=True)
    return frame


def to_timestamp(value: Any) -> pd.Timestamp | None:
    """A naive UTC timestamp from a date, string or None.

    >>> to_timestamp("2026-02-01")
    Timestamp('2026-02-01 00:00:00')
    >>> to_timestamp(None) is None
    True
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def resolved_events(ws: Workspace, *, kinds: Iterable[str] | None = None, since: Any = None,
                    until: Any = None, tables: Tables | None = None) -> pd.DataFrame:
    """Events with ``source``/``target`` mapped to resolved ids, sorted by time then event id.

    ``until`` is exclusive. Events without a time are dropped (they cannot be placed on a timeline).
    """
    ev = read_table(ws, "events", tables, kinds)
    if ev.empty:
        return pd.DataFrame(columns=EVENT_FRAME_COLUMNS + ["source_record", "target_record"])
    ids = read_table(ws, "resolved_ids", tables)
    resolved = dict(zip(ids["entity_id"], ids["resolved_id"]))
    ev = ev[ev["time"].notna()].copy()
    ev["time"] = pd.to_datetime(ev["time"])
    lo, hi = to_timestamp(since), to_timestamp(until)
    if lo is not None:
        ev = ev[ev["time"] >= lo]
    if hi is not None:
        ev = ev[ev["time"] < hi]
    ev["source_record"] = ev["source"]
    ev["target_record"] = ev["target"]
    ev["source"] = [resolved.get(s, s) for s in ev["source"]]
    ev["target"] = [resolved.get(t, t) if isinstance(t, str) else None for t in ev["target"]]
    ev = ev.sort_values(["time", "event_id"], kind="stable").reset_index(drop=True)
    return ev[EVENT_FRAME_COLUMNS + ["source_record", "target_record"]]


def entity_info(ws: Workspace, *, tables: Tables | None = None) -> pd.DataFrame:
    """One row per resolved entity: ``resolved_id, kind, label`` (the most often reported label)."""
    ents = read_table(ws, "entities", tables)
    if ents.empty:
        return pd.DataFrame(columns=["resolved_id", "kind", "label"])
    resolved = read_table(ws, "resolved_ids", tables)
    df = ents[["entity_id", "kind", "label"]].merge(resolved, on="entity_id", how="left")
    df["resolved_id"] = df["resolved_id"].fillna(df["entity_id"])
    # reference rows (an id another file describes) carry no label: the describing row's label wins
    named = df[df["label"].notna() & (df["label"].astype(str).str.strip() != "")]
    counted = (named.groupby(["resolved_id", "kind", "label"]).size().rename("n").reset_index()
               .sort_values(["resolved_id", "n", "label"], ascending=[True, False, True], kind="stable")
               .drop_duplicates("resolved_id"))
    unnamed = df[~df["resolved_id"].isin(set(counted["resolved_id"]))].drop_duplicates("resolved_id")
    unnamed = unnamed.assign(label=[f"{k} {r}" for k, r in zip(unnamed["kind"], unnamed["resolved_id"])])
    out = pd.concat([counted[["resolved_id", "kind", "label"]], unnamed[["resolved_id", "kind", "label"]]])
    return out.sort_values("resolved_id", kind="stable").reset_index(drop=True)


def identifier_owners(ws: Workspace, *, link_kinds: Iterable[str] = ("uses", "owns"), tables: Tables | None = None,
                      info: pd.DataFrame | None = None) -> dict[str, str]:
    """Resolved identifier id -> resolved person id, from ``uses``/``owns`` links (person -> phone).

    When several persons are linked to one identifier, the one with the most link reports wins
    (ties: the smallest id), so the mapping is deterministic.
    """
    links = read_table(ws, "links", tables, link_kinds)
    if links.empty:
        return {}
    info = entity_info(ws, tables=tables) if info is None else info
    info = info.drop_duplicates("resolved_id", keep="last")
    kind_of = pd.Series(info["kind"].to_numpy(object), index=info["resolved_id"].to_numpy(object))
    ids = read_table(ws, "resolved_ids", tables).drop_duplicates("entity_id", keep="last")
    resolved = pd.Series(ids["resolved_id"].to_numpy(object), index=ids["entity_id"].to_numpy(object))
    source, target = links["source"].astype(object), links["target"].astype(object)
    rows = pd.DataFrame({"person": source.map(resolved).fillna(source).to_numpy(object),
                         "identifier": target.map(resolved).fillna(target).to_numpy(object)})
    rows = rows[((rows["person"].map(kind_of) == "person")
                 & (rows["identifier"].map(kind_of) != "person")).to_numpy(bool)]
    if rows.empty:
        return {}
    n = rows.groupby(["identifier", "person"]).size().rename("n").reset_index()
    n = n.sort_values(["identifier", "n", "person"], ascending=[True, False, True], kind="stable")
    best = n.drop_duplicates("identifier")
    return dict(zip(best["identifier"], best["person"]))


_DIGITS = re.compile(r"\D+")


def number_key(label: Any) -> str | None:
    """A comparison key for identifiers written in different ways (phone numbers, IBANs).

    Phone numbers keep their last nine digits, so ``+31 6 1234 5678`` and ``0031612345678`` meet;
    other identifiers are upper-cased without spaces.

    >>> number_key("+31 6 1234 5678") == number_key("0031612345678")
    True
    >>> number_key("NL91 ABNA 0417 1643 00")
    'NL91ABNA0417164300'
    """
    if label is None or (isinstance(label, float) and np.isnan(label)):
        return None
    text = str(label).strip()
    if re.fullmatch(r"[+\d][\d ()./-]{6,}", text):
        digits = _DIGITS.sub("", text)
        return digits[-9:] if len(digits) >= 9 else digits
    return re.sub(r"\s+", "", text).upper()
