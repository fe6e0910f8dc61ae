"""Co-location: entities seen at the same cell, place or address within a time tolerance.

Candidate meetings for an analyst to check, not meetings: two phones served by the same cell
within half an hour may be in the same café or two kilometres apart. Presences come from events
with a ``place`` (the cell of a call's originating side, a sighting's location; the ``place_side``
option says which side of a call the cell belongs to when a partner's records say otherwise) and,
with ``addresses=True``, from ``resides_at``/``registered_to`` links to the same address (with
their reported dates when they have them).

Examples
--------
>>> import pandas as pd
>>> seen = pd.DataFrame({"entity": ["A", "B", "C", "A"],
...                      "place": ["cell-1", "cell-1", "cell-1", "cell-2"],
...                      "time": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 10:20",
...                                              "2026-01-05 13:00", "2026-01-05 10:10"])})
>>> co_presence(seen, tolerance="30min")[["entity_a", "entity_b", "place", "gap"]].to_dict("records")
[{'entity_a': 'A', 'entity_b': 'B', 'place': 'cell-1', 'gap': Timedelta('0 days 00:20:00')}]
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

from ..workspace import Workspace
from ._timedata import entity_info, identifier_owners, resolved_events

__all__ = ["presences", "co_presence", "colocations", "MEETING_COLUMNS"]

MEETING_COLUMNS = ["entity_a", "entity_b", "label_a", "label_b", "place", "basis", "start", "end", "time_a",
                   "time_b", "gap", "n_observations", "via_a", "via_b"]


def presences(ws: Workspace, *, since: Any = None, until: Any = None, kinds: Iterable[str] | None = None,
              place_side: str = "source", persons: bool = True) -> pd.DataFrame:
    """Where and when each entity was seen: ``entity, via, place, time, event_id`` from events.

    ``place_side``: which side of a two-sided event the ``place`` describes (``source`` for the
    usual CDR, where the cell is the caller's; ``both`` when the records are of one target's line
    and the cell is always that line's). ``persons`` puts an identifier's presence on its user.
    """
    ev = resolved_events(ws, kinds=kinds, since=since, until=until)
    ev = ev[ev["place"].notna() & (ev["place"].astype(str).str.strip() != "")]
    parts = [pd.DataFrame({"entity": ev["source"], "place": ev["place"].astype(str), "time": ev["time"],
                           "event_id": ev["event_id"]})]
    if place_side == "both":
        two = ev[ev["target"].notna()]
        parts.append(pd.DataFrame({"entity": two["target"], "place": two["place"].astype(str),
                                   "time": two["time"], "event_id": two["event_id"]}))
    out = pd.concat(parts, ignore_index=True)
    out["via"] = out["entity"]
    if persons:
        owners = identifier_owners(ws)
        out["entity"] = [owners.get(x, x) for x in out["entity"]]
    out["via"] = [v if v != e else None for v, e in zip(out["via"], out["entity"])]
    return out.sort_values(["place", "time", "entity"], kind="stable").reset_index(drop=True)


def co_presence(seen: pd.DataFrame, *, tolerance: str | pd.Timedelta = "30min", merge: str | pd.Timedelta = "2h",
                exclude_pairs: Iterable[tuple[str, str]] = ()) -> pd.DataFrame:
    """Pairs of entities at the same place within ``tolerance`` of each other.

    ``seen`` has ``entity, place, time`` (and optionally ``via``). Co-presences of the same pair
    at the same place less than ``merge`` apart are one candidate meeting (``start``/``end`` span
    them, ``n_observations`` counts them); ``time_a``/``time_b``/``gap`` are those of the closest
    pair of sightings. Pairs listed in ``exclude_pairs`` are left out (either order).
    """
    tol, join = pd.Timedelta(tolerance), pd.Timedelta(merge)
    excluded = {tuple(sorted(p)) for p in exclude_pairs}
    if seen.empty:
        return pd.DataFrame(columns=MEETING_COLUMNS)
    df = seen.sort_values(["place", "time", "entity"], kind="stable").reset_index(drop=True)
    via = df["via"] if "via" in df else pd.Series([None] * len(df))
    hits = []
    for place, g in df.groupby("place", sort=True):
        if g["entity"].nunique() < 2:
            continue
        times = g["time"].to_numpy(dtype="datetime64[ns]")
        ents = g["entity"].to_numpy()
        vias = via.loc[g.index].to_numpy()
        hi = np.searchsorted(times, times + np.timedelta64(tol), side="right")
        for i in range(len(times)):
            for j in range(i + 1, hi[i]):
                if ents[i] == ents[j]:
                    continue
                a, b = (i, j) if ents[i] < ents[j] else (j, i)
                if (ents[a], ents[b]) in excluded:
                    continue
                hits.append((ents[a], ents[b], place, times[a], times[b], vias[a], vias[b]))
    if not hits:
        return pd.DataFrame(columns=MEETING_COLUMNS)
    h = pd.DataFrame(hits, columns=["entity_a", "entity_b", "place", "time_a", "time_b", "via_a", "via_b"])
    h["t"] = h[["time_a", "time_b"]].min(axis=1)
    h["gap"] = (h["time_a"] - h["time_b"]).abs()
    h = h.sort_values(["entity_a", "entity_b", "place", "t"], kind="stable").reset_index(drop=True)
    key = h[["entity_a", "entity_b", "place"]].astype(str).agg("\x1f".join, axis=1)
    new_meeting = (key != key.shift()) | (h["t"] - h["t"].shift() > join)
    h["meeting"] = new_meeting.cumsum()
    rows = []
    for _, g in h.groupby("meeting", sort=False):
        best = g.loc[g["gap"].idxmin()]
        rows.append({"entity_a": best["entity_a"], "entity_b": best["entity_b"], "place": best["place"],
                     "basis": "cell/place", "start": g[["time_a", "time_b"]].min().min(),
                     "end": g[["time_a", "time_b"]].max().max(), "time_a": best["time_a"], "time_b": best["time_b"],
                     "gap": best["gap"], "n_observations": len(g), "via_a": best["via_a"], "via_b": best["via_b"]})
    out = pd.DataFrame(rows)
    out["label_a"], out["label_b"] = out["entity_a"], out["entity_b"]
    return out[MEETING_COLUMNS].sort_values(["start", "entity_a", "entity_b"], kind="stable").reset_index(drop=True)


def _address_pairs(ws: Workspace, persons: bool) -> pd.DataFrame:
    links = ws.links(["resides_at", "registered_to"])
    if links.empty:
        return pd.DataFrame(columns=MEETING_COLUMNS)
    resolved = dict(ws.resolved_ids()[["entity_id", "resolved_id"]].itertuples(index=False, name=None))
    owners = identifier_owners(ws) if persons else {}
    df = pd.DataFrame({"entity": [owners.get(resolved.get(s, s), resolved.get(s, s)) for s in links["source"]],
                       "place": [resolved.get(t, t) for t in links["target"]],
                       "first": pd.to_datetime(links["first_seen"]), "last": pd.to_datetime(links["last_seen"])})
    rows = []
    for place, g in df.groupby("place", sort=True):
        g = g.groupby("entity").agg(first=("first", "min"), last=("last", "max")).reset_index()
        ents = sorted(g["entity"])
        for i, a in enumerate(ents):
            for b in ents[i + 1:]:
                ra, rb = g[g["entity"] == a].iloc[0], g[g["entity"] == b].iloc[0]
                # both dated and the periods do not overlap: not there at the same time
                if pd.notna(ra["first"]) and pd.notna(rb["last"]) and pd.notna(rb["first"]) and pd.notna(ra["last"]) \
                        and (ra["last"] < rb["first"] or rb["last"] < ra["first"]):
                    continue
                rows.append({"entity_a": a, "entity_b": b, "place": place, "basis": "address",
                             "start": max(x for x in (ra["first"], rb["first"], pd.NaT) if pd.notna(x))
                             if pd.notna(ra["first"]) or pd.notna(rb["first"]) else pd.NaT,
                             "end": pd.NaT, "time_a": ra["first"], "time_b": rb["first"], "gap": pd.NaT,
                             "n_observations": 1, "via_a": None, "via_b": None})
    return pd.DataFrame(rows, columns=MEETING_COLUMNS)


def colocations(ws: Workspace, *, tolerance: str | pd.Timedelta = "30min", merge: str | pd.Timedelta = "2h",
                since: Any = None, until: Any = None, kinds: Iterable[str] | None = None,
                entities: Iterable[str] | None = None, place_side: str = "source", persons: bool = True,
                addresses: bool = False, min_observations: int = 1) -> pd.DataFrame:
    """Candidate meetings in the workspace: a tidy table, one row per pair, place and occasion.

    Parameters
    ----------
    tolerance : two sightings at one place at most this far apart are a co-presence.
    merge : co-presences of one pair at one place closer than this are one candidate meeting.
    entities : only pairs involving one of these resolved ids.
    place_side, persons : see :func:`presences`.
    addresses : also list persons linked to the same address (``basis`` ``address``).
    min_observations : keep meetings seen at least this often.

    Returns
    -------
    DataFrame with ``MEETING_COLUMNS``: the two entities (resolved ids, labels), the place (cell
    id or address label), ``basis`` (``cell/place`` or ``address``), when (``start``, ``end``,
    ``time_a``, ``time_b``), ``gap`` between the closest sightings, ``n_observations``, and the
    identifiers seen (``via_a``/``via_b``) when the entities are their users.

    Examples
    --------
    >>> colocations(Workspace()).empty
    True
    """
    seen = presences(ws, since=since, until=until, kinds=kinds, place_side=place_side, persons=persons)
    out = co_presence(seen, tolerance=tolerance, merge=merge)
    if addresses:
        out = pd.concat([out, _address_pairs(ws, persons)], ignore_index=True) if not out.empty \
            else _address_pairs(ws, persons)
    if out.empty:
        return pd.DataFrame(columns=MEETING_COLUMNS)
    if entities is not None:
        wanted = set(entities)
        out = out[out["entity_a"].isin(wanted) | out["entity_b"].isin(wanted)]
    out = out[out["n_observations"] >= min_observations]
    info = entity_info(ws)
    label = dict(zip(info["resolved_id"], info["label"].astype(str)))
    out = out.assign(label_a=[label.get(x, x) for x in out["entity_a"]],
                     label_b=[label.get(x, x) for x in out["entity_b"]],
                     place=[label.get(p, p) for p in out["place"]])
    return out[MEETING_COLUMNS].reset_index(drop=True)
