"""Time in the network: timelines, activity rhythm, link spans, communities over time and bursts.

* :func:`timeline` — the events of one entity, a set of entities or a community as a tidy table,
  one row per (event, entity in view). A person's lane carries the events of the phones and
  accounts the person uses (``uses``/``owns`` links), with the identifier in ``via``.
* :func:`activity` — events per entity per day or week (counts, calls out/in, distinct contacts,
  duration, amounts).
* :func:`link_spans` — when each link (on resolved ids) first and last appears, and how often.
* :func:`community_evolution` — the network cut into time windows, communities found in each
  (the package's seeded Leiden, modularity), matched across consecutive windows by Jaccard
  overlap of their members as in Greene, Doyle & Cunningham (2010): a community *continues*
  (one match each way), *splits* (one to several), *merges* (several to one), *dies* (no match
  in the next window) or *appears* (no match in the previous one).
* :func:`detect_bursts` — sudden activity, by the robust (modified) z-score of Iglewicz and
  Hoaglin on daily counts: ``z = 0.6745 (x - median) / MAD`` over the entity's own days (zero
  days included), flagged at ``z >= 3.5`` and at least ``min_count`` events, consecutive flagged
  days merged into one burst. Median and MAD are barely moved by the bursts themselves (unlike
  mean and standard deviation), so a few busy days stand out against a quiet baseline; when more than half of the days are idle (MAD = 0) the
  mean absolute deviation (x 1.2533) is used instead.

Examples
--------
>>> days = pd.Series([2, 3, 2, 2, 3, 2, 14, 15, 2, 3, 2],
...                  index=pd.date_range("2026-01-01", periods=11, freq="D"))
>>> detect_bursts(days)[["start", "end", "events", "peak_count"]].to_dict("records")
[{'start': Timestamp('2026-01-07 00:00:00'), 'end': Timestamp('2026-01-08 00:00:00'), 'events': 29, 'peak_count': 15}]
>>> evolution_events({0: {"a", "b", "c", "d"}, 1: {"x", "y"}}, {0: {"a", "b"}, 1: {"c", "d", "z"}, 2: {"q", "r"}})
[('split', (0,), (0, 1)), ('die', (1,), ()), ('appear', (), (2,))]
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..communities import detect_communities
from ..workspace import Workspace
from ._timedata import entity_info, identifier_owners, resolved_events, to_timestamp

__all__ = ["timeline", "activity", "link_spans", "detect_bursts", "bursts", "community_evolution",
           "CommunityEvolution", "evolution_events", "windows", "community_members", "users_of"]

TIMELINE_COLUMNS = ["time", "entity", "entity_label", "entity_kind", "kind", "direction", "counterpart", "counterpart_label",
                    "via", "duration", "amount", "currency", "place", "event_id", "agency", "country", "handling",
                    "releasable_to"]


# ---------------------------------------------------------------------------------------------
# Timelines
# ---------------------------------------------------------------------------------------------
def timeline(ws: Workspace, entities: Iterable[str] | None = None, *, since: Any = None, until: Any = None,
             kinds: Iterable[str] | None = None, persons: bool = True,
             tables: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """The events of a set of entities as a tidy table, oldest first.

    Parameters
    ----------
    ws : the case workspace (entities on resolved ids).
    entities : resolved ids of persons, phones, accounts...; None for every entity with events.
        A person brings the events of the identifiers it uses.
    since, until : the window (``until`` exclusive), dates or timestamps.
    kinds : event kinds (``call``, ``transfer``, ``message``, ``sighting``); None for all.
    persons : put an identifier's events on its user's lane when the user is known.
    tables : the workspace's ``entities``, ``links``, ``events`` and ``resolved_ids`` when already read
        (a briefing reads them once); read from ``ws`` otherwise.

    Returns
    -------
    DataFrame with ``TIMELINE_COLUMNS``: ``entity`` is the lane, ``direction`` ``out`` (the
    entity is the source), ``in`` or ``at`` (a sighting with no counterpart), ``via`` the
    identifier when the lane is its user, ``counterpart`` the other side (on its user's lane
    when that is in view).

    Examples
    --------
    >>> timeline(Workspace()).empty
    True
    """
    ev = resolved_events(ws, kinds=kinds, since=since, until=until, tables=tables)
    if ev.empty:
        return pd.DataFrame(columns=TIMELINE_COLUMNS)
    info = entity_info(ws, tables=tables)
    label = dict(zip(info["resolved_id"], info["label"].astype(str)))
    kind_of = dict(zip(info["resolved_id"], info["kind"]))
    owners = identifier_owners(ws, tables=tables, info=info) if persons else {}
    wanted = set(entities) if entities is not None else None
    out = pd.concat([
        ev.assign(entity=ev["source"], counterpart=ev["target"],
                  direction=np.where(ev["target"].isna(), "at", "out")),
        ev[ev["target"].notna()].assign(entity=ev["target"], counterpart=ev["source"], direction="in"),
    ], ignore_index=True)

    owner_of = pd.Series(owners, dtype=object)

    def lane(ids: pd.Series) -> pd.Series:
        # an identifier goes on its user's lane, unless the identifier itself is asked for and its user is not
        ids = ids.astype(object)
        owner = ids.map(owner_of) if len(owner_of) else pd.Series(None, index=ids.index, dtype=object)
        use = owner.notna()
        if wanted is not None:
            use &= owner.isin(wanted) | ~ids.isin(wanted)
        return ids.where(~use, owner)

    out["via"] = out["entity"].astype(object)
    out["entity"] = lane(out["entity"])
    out["via"] = out["via"].where(out["via"] != out["entity"], None)
    out["counterpart"] = lane(out["counterpart"])
    if wanted is not None:
        out = out[out["entity"].isin(wanted)]
    # a call between two phones of one user is not an interaction between lanes
    out = out[out["entity"] != out["counterpart"]]
    labels = pd.Series(label, dtype=object)
    out["entity_label"] = out["entity"].map(labels).fillna(out["entity"])
    named = out["counterpart"].map(labels).fillna(out["counterpart"])
    out["counterpart_label"] = named.where(out["counterpart"].notna(), None)
    kinds = out["entity"].map(pd.Series(kind_of, dtype=object))
    out["entity_kind"] = kinds.astype(object).where(kinds.notna(), None)
    for col in ("entity", "via", "counterpart", "entity_label", "counterpart_label", "entity_kind"):
        out[col] = out[col].infer_objects()  # the dtypes a column of Python values is given
    out = out.sort_values(["time", "event_id", "direction", "entity"], kind="stable").reset_index(drop=True)
    return out[TIMELINE_COLUMNS]


def users_of(ws: Workspace, ids: Iterable[str]) -> list[str]:
    """Each identifier's user (``uses``/``owns`` links) when known, else the identifier; order kept, no repeats.

    For a timeline with person lanes: ``timeline(ws, users_of(ws, phones))``.

    Examples
    --------
    >>> users_of(Workspace(), ["E1", "E2", "E1"])
    ['E1', 'E2']
    """
    owners = identifier_owners(ws)
    return list(dict.fromkeys(owners.get(x, x) for x in ids))


def community_members(ws: Workspace, community: Any, *, seed: int = 0, since: Any = None,
                      until: Any = None) -> list[str]:
    """Resolved ids in one community of the whole period's contact network (seeded, reproducible).

    Communities come from :func:`netintel.communities.detect_communities` on the contact events
    (numbered by size, largest first).
    """
    membership = _detect(_edges(resolved_events(ws, since=since, until=until), ws), seed=seed)
    members = sorted(i for i, c in membership.items() if str(c) == str(community))
    if not members:
        from ..errors import NetintelError
        raise NetintelError(f"community {community!r} not found; there are {len(set(membership.values()))} "
                            "communities numbered 0.. by size (run `netintel communities` to list them)")
    return members


# ---------------------------------------------------------------------------------------------
# Activity and link spans
# ---------------------------------------------------------------------------------------------
def activity(data: Workspace | pd.DataFrame, *, freq: str = "D", entities: Iterable[str] | None = None,
             since: Any = None, until: Any = None) -> pd.DataFrame:
    """Activity per entity per period (``freq`` ``"D"`` for days, ``"W"`` for weeks starting Monday).

    ``data`` is a workspace or a :func:`timeline` table. Returns ``entity, entity_label, period,
    events, out, in, contacts, duration, amount``; only periods with activity are listed.

    Examples
    --------
    >>> tl = pd.DataFrame({"time": pd.to_datetime(["2026-01-01 09:00", "2026-01-01 18:00", "2026-01-03 10:00"]),
    ...                    "entity": ["A", "A", "A"], "entity_label": ["A", "A", "A"],
    ...                    "direction": ["out", "in", "out"], "counterpart": ["B", "C", "B"],
    ...                    "duration": [60, 30, None], "amount": [None, None, None]})
    >>> activity(tl)[["period", "events", "out", "contacts"]].values.tolist()
    [[Timestamp('2026-01-01 00:00:00'), 2, 1, 2], [Timestamp('2026-01-03 00:00:00'), 1, 1, 1]]
    """
    tl = timeline(data, entities, since=since, until=until) if isinstance(data, Workspace) else data
    cols = ["entity", "entity_label", "period", "events", "out", "in", "contacts", "duration", "amount"]
    if tl.empty:
        return pd.DataFrame(columns=cols)
    t = pd.to_datetime(tl["time"])
    if freq.upper().startswith("W"):
        period = (t - pd.to_timedelta(t.dt.weekday, unit="D")).dt.normalize()
    else:
        period = t.dt.floor(freq)
    df = tl.assign(period=period, is_out=(tl["direction"] == "out").astype(int),
                   is_in=(tl["direction"] == "in").astype(int))
    g = df.groupby(["entity", "period"], sort=True)
    out = pd.DataFrame({
        "events": g.size(), "out": g["is_out"].sum(), "in": g["is_in"].sum(),
        "contacts": g["counterpart"].nunique(),
        "duration": g["duration"].sum(min_count=1) if "duration" in df else np.nan,
        "amount": g["amount"].sum(min_count=1) if "amount" in df else np.nan,
    }).reset_index()
    labels = dict(zip(tl["entity"], tl["entity_label"])) if "entity_label" in tl else {}
    out["entity_label"] = [labels.get(e, e) for e in out["entity"]]
    return out[cols]


def link_spans(ws: Workspace, *, kinds: Iterable[str] | None = None, since: Any = None,
               until: Any = None) -> pd.DataFrame:
    """When each link first and last appears: one row per (kind, source, target) on resolved ids.

    Event links (calls, transfers) are recounted from their events; links without events keep the
    ``first_seen``/``last_seen`` their reports gave. Undirected kinds are keyed with the smaller
    id first. Returns ``kind, source, target, source_label, target_label, first_seen, last_seen,
    count, active_days, agencies``, the longest-running first.
    """
    info = entity_info(ws)
    label = dict(zip(info["resolved_id"], info["label"].astype(str)))
    ev = resolved_events(ws, kinds=kinds, since=since, until=until)
    ev = ev[ev["target"].notna() & (ev["source"] != ev["target"])]
    parts = []
    if not ev.empty:
        g = ev.groupby(["kind", "source", "target"])
        parts.append(pd.DataFrame({"first_seen": g["time"].min(), "last_seen": g["time"].max(),
                                   "count": g.size(),
                                   "agencies": g["agency"].agg(lambda a: sorted(set(a.dropna())))}).reset_index())
    links = ws.links(list(kinds) if kinds is not None else None)
    if not links.empty:
        links = links[~links["kind"].isin(set(ev["kind"]) if not ev.empty else set())]
        links = links[links["first_seen"].notna() | links["last_seen"].notna()]
    if not links.empty:
        resolved = dict(ws.resolved_ids()[["entity_id", "resolved_id"]].itertuples(index=False, name=None))
        links = links.assign(source=links["source"].map(lambda x: resolved.get(x, x)),
                             target=links["target"].map(lambda x: resolved.get(x, x)))
        undirected = ~links["directed"].fillna(True).astype(bool)
        s, t = links["source"].copy(), links["target"].copy()
        swap = undirected & (s > t)
        links.loc[swap, "source"], links.loc[swap, "target"] = t[swap], s[swap]
        first = pd.to_datetime(links["first_seen"].fillna(links["last_seen"]))
        last = pd.to_datetime(links["last_seen"].fillna(links["first_seen"]))
        lo, hi = to_timestamp(since), to_timestamp(until)
        keep = pd.Series(True, index=links.index)
        if lo is not None:
            keep &= last >= lo
        if hi is not None:
            keep &= first < hi
        links = links.assign(first_seen=first, last_seen=last)[keep]
        if not links.empty:
            g = links.groupby(["kind", "source", "target"])
            parts.append(pd.DataFrame({"first_seen": g["first_seen"].min(), "last_seen": g["last_seen"].max(),
                                       "count": g["count"].sum(min_count=1).fillna(g.size()).astype(int),
                                       "agencies": g["agency"].agg(lambda a: sorted(set(a.dropna())))}).reset_index())
    cols = ["kind", "source", "target", "source_label", "target_label", "first_seen", "last_seen", "count",
            "active_days", "agencies"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["source_label"] = [label.get(x, x) for x in out["source"]]
    out["target_label"] = [label.get(x, x) for x in out["target"]]
    out["active_days"] = (out["last_seen"] - out["first_seen"]) / pd.Timedelta(days=1)
    out = out.sort_values(["active_days", "count", "kind", "source", "target"],
                          ascending=[False, False, True, True, True], kind="stable")
    return out[cols].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Bursts
# ---------------------------------------------------------------------------------------------
def _modified_z(x: np.ndarray) -> np.ndarray:
    median = float(np.median(x))
    mad = float(np.median(np.abs(x - median)))
    if mad > 0:
        return 0.6745 * (x - median) / mad
    mean_ad = float(np.mean(np.abs(x - median)))
    if mean_ad > 0:
        return (x - median) / (1.253314 * mean_ad)
    return np.zeros_like(x, dtype=float)


def detect_bursts(counts: pd.Series | pd.DataFrame, *, threshold: float = 3.5, min_count: int = 3,
                  by: str = "entity", value: str = "events") -> pd.DataFrame:
    """Bursts of activity in daily counts, by the robust (modified) z-score.

    Parameters
    ----------
    counts : a Series of counts indexed by day, or an :func:`activity` table (daily, one series per
        ``by`` value; days without activity count as zero between an entity's first and last day).
    threshold : modified z-score from which a day is unusual (3.5, Iglewicz & Hoaglin).
    min_count : a burst day has at least this many events (a jump from 0 to 2 is no burst).

    Returns
    -------
    DataFrame ``entity, start, end, days, events, peak_day, peak_count, baseline, z_max``: one row
    per burst (consecutive flagged days), ``baseline`` the entity's median daily count.
    """
    cols = ["entity", "start", "end", "days", "events", "peak_day", "peak_count", "baseline", "z_max"]
    if isinstance(counts, pd.Series):
        series = {"network": counts}
    else:
        if counts.empty:
            return pd.DataFrame(columns=cols)
        series = {k: g.set_index("period")[value] for k, g in counts.groupby(by, sort=True)}
    rows = []
    for key, s in series.items():
        s = s.groupby(pd.to_datetime(s.index).normalize()).sum().sort_index()
        if s.empty:
            continue
        full = s.reindex(pd.date_range(s.index.min(), s.index.max(), freq="D"), fill_value=0)
        x = full.to_numpy(dtype=float)
        if len(x) < 5:
            continue
        z = _modified_z(x)
        flagged = (z >= threshold) & (x >= min_count)
        baseline = float(np.median(x))
        i = 0
        while i < len(x):
            if not flagged[i]:
                i += 1
                continue
            j = i
            while j + 1 < len(x) and flagged[j + 1]:
                j += 1
            seg = x[i:j + 1]
            peak = i + int(np.argmax(seg))
            rows.append({"entity": key, "start": full.index[i], "end": full.index[j], "days": j - i + 1,
                         "events": int(seg.sum()), "peak_day": full.index[peak], "peak_count": int(x[peak]),
                         "baseline": baseline, "z_max": round(float(z[i:j + 1].max()), 3)})
            i = j + 1
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values(["start", "entity"], kind="stable").reset_index(drop=True)


def bursts(ws: Workspace, entities: Iterable[str] | None = None, *, scope: str = "entity", since: Any = None,
           until: Any = None, kinds: Iterable[str] | None = None, threshold: float = 3.5,
           min_count: int = 3) -> pd.DataFrame:
    """Bursts in the workspace: per entity (``scope="entity"``) or of all events (``"network"``).

    Network scope counts each event once (not once per side).
    """
    if scope == "network":
        ev = resolved_events(ws, kinds=kinds, since=since, until=until)
        if entities is not None:
            wanted = set(entities)
            ev = ev[ev["source"].isin(wanted) | ev["target"].isin(wanted)]
        if ev.empty:
            return detect_bursts(pd.DataFrame())
        daily = ev.groupby(ev["time"].dt.normalize()).size()
        return detect_bursts(daily, threshold=threshold, min_count=min_count)
    tl = timeline(ws, entities, since=since, until=until, kinds=kinds)
    out = detect_bursts(activity(tl), threshold=threshold, min_count=min_count)
    labels = dict(zip(tl["entity"], tl["entity_label"]))
    out.insert(1, "entity_label", [labels.get(e, e) for e in out["entity"]])
    return out


# ---------------------------------------------------------------------------------------------
# Communities over time
# ---------------------------------------------------------------------------------------------
def windows(start: Any, end: Any, *, freq: str = "30D", step: str | None = None) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Consecutive (or, with ``step`` shorter than ``freq``, overlapping) windows covering [start, end).

    >>> [(a.date().isoformat(), b.date().isoformat()) for a, b in windows("2026-01-01", "2026-02-15", freq="30D")]
    [('2026-01-01', '2026-01-31'), ('2026-01-31', '2026-03-02')]
    """
    lo, hi = to_timestamp(start), to_timestamp(end)
    width, stride = pd.Timedelta(freq), pd.Timedelta(step or freq)
    out = []
    t = lo
    while t < hi or not out:
        out.append((t, t + width))
        t = t + stride
    return out


def _edges(ev: pd.DataFrame, ws: Workspace | None = None, *, persons: bool = False) -> pd.DataFrame:
    ev = ev[ev["target"].notna() & (ev["source"] != ev["target"])]
    if persons and ws is not None:
        owners = identifier_owners(ws)
        ev = ev.assign(source=ev["source"].map(lambda x: owners.get(x, x)),
                       target=ev["target"].map(lambda x: owners.get(x, x)))
        ev = ev[ev["source"] != ev["target"]]
    if ev.empty:
        return pd.DataFrame(columns=["source", "target", "weight"])
    a = np.where(ev["source"] < ev["target"], ev["source"], ev["target"])
    b = np.where(ev["source"] < ev["target"], ev["target"], ev["source"])
    return (pd.DataFrame({"source": a, "target": b}).groupby(["source", "target"]).size()
            .rename("weight").reset_index())


def _detect(edges: pd.DataFrame, *, seed: int) -> dict[str, int]:
    """id -> community: the package's seeded Leiden (modularity)."""
    if edges.empty:
        return {}
    res = detect_communities(edges[["source", "target", "weight"]], seed=seed)
    return dict(zip(res.membership["id"].astype(str), res.membership["community"].astype(int)))


def evolution_events(before: Mapping[Any, set], after: Mapping[Any, set], *,
                     threshold: float = 0.3) -> list[tuple[str, tuple, tuple]]:
    """Match communities of two consecutive windows (Greene et al. 2010) and name what happened.

    Two communities match when the Jaccard overlap of their members is at least ``threshold``.
    Returns ``(event, from_communities, to_communities)`` with event ``continue``, ``split``,
    ``merge``, ``die`` or ``appear``; a community that both merges and splits is reported as
    ``merge`` into each of its successors and ``split`` from each of its predecessors.
    """
    fwd: dict[Any, list] = {c: [] for c in before}
    back: dict[Any, list] = {d: [] for d in after}
    for c, members in before.items():
        for d, other in after.items():
            union = len(members | other)
            if union and len(members & other) / union >= threshold:
                fwd[c].append(d)
                back[d].append(c)
    events: list[tuple[str, tuple, tuple]] = []
    done_merge: set = set()
    for c in sorted(before, key=str):
        targets = sorted(fwd[c], key=str)
        if not targets:
            events.append(("die", (c,), ()))
        elif len(targets) > 1:
            events.append(("split", (c,), tuple(targets)))
        else:
            d = targets[0]
            if len(back[d]) > 1:
                if d not in done_merge:
                    events.append(("merge", tuple(sorted(back[d], key=str)), (d,)))
                    done_merge.add(d)
            else:
                events.append(("continue", (c,), (d,)))
    for d in sorted(after, key=str):
        if not back[d]:
            events.append(("appear", (), (d,)))
    return events


@dataclass(frozen=True)
class CommunityEvolution:
    """Communities per time window and how they carry over from one window to the next.

    ``membership``: ``window, start, end, entity, entity_label, community``; ``communities``:
    ``window, community, size, members`` (labels); ``transitions``: ``from_window, to_window, event,
    from_communities, to_communities, jaccard``; ``parameters``: windows, threshold, seed, method.
    """

    membership: pd.DataFrame
    communities: pd.DataFrame
    transitions: pd.DataFrame
    parameters: dict[str, Any] = field(default_factory=dict)

    def lineage(self) -> pd.DataFrame:
        """Transitions other than ``continue``: the changes an analyst looks at."""
        return self.transitions[self.transitions["event"] != "continue"].reset_index(drop=True)

    def _repr_html_(self) -> str:
        counts = self.transitions["event"].value_counts().to_dict() if not self.transitions.empty else {}
        head = (f"<p><b>Communities over time</b>: {self.membership['window'].nunique()} windows of "
                f"{html.escape(str(self.parameters.get('freq')))}, Jaccard threshold "
                f"{self.parameters.get('threshold')}, seed {self.parameters.get('seed')}; "
                + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + "</p>")
        return head + self.transitions.to_html(index=False)

    def __repr__(self) -> str:
        return (f"<CommunityEvolution {self.membership['window'].nunique()} windows, "
                f"{len(self.communities)} communities, {len(self.transitions)} transitions>")


def community_evolution(ws: Workspace, *, freq: str = "30D", step: str | None = None,
                        since: Any = None, until: Any = None, kinds: Iterable[str] | None = None,
                        persons: bool = True, min_size: int = 3, threshold: float = 0.3,
                        seed: int = 0, engine: str = "events") -> CommunityEvolution:
    """Cut the contact network into windows, find communities in each and match them across windows.

    Parameters
    ----------
    freq, step : window width and stride (``step`` shorter than ``freq`` gives overlapping windows).
    since, until : the period to cut (default: first to last event).
    kinds : event kinds that make a tie (default: every event with two sides).
    persons : phones and accounts on their user's node when the user is known.
    min_size : communities smaller than this are left out of the matching (pairs are noise).
    threshold : Jaccard overlap for two communities to match.
    seed : community detection is seeded; the same seed gives the same result.
    engine : ``"events"`` clusters the window's contact events (calls, payments between the
        window's ends); ``"graph"`` clusters :func:`netintel.graph.build_graph` for the window in
        its person view (standing relations without dates included, so communities look steadier).
    """
    ev = resolved_events(ws, kinds=kinds, since=since, until=until)
    cols_m = ["window", "start", "end", "entity", "entity_label", "community"]
    params = {"freq": freq, "step": step or freq, "threshold": threshold, "seed": seed, "min_size": min_size,
              "persons": persons, "engine": engine, "method": "leiden (modularity), Greene et al. 2010 matching"}
    if ev.empty:
        return CommunityEvolution(pd.DataFrame(columns=cols_m), pd.DataFrame(), pd.DataFrame(
            columns=["from_window", "to_window", "event", "from_communities", "to_communities", "jaccard"]), params)
    info = entity_info(ws)
    label = dict(zip(info["resolved_id"], info["label"].astype(str)))
    lo = to_timestamp(since) if since is not None else ev["time"].min().normalize()
    hi = to_timestamp(until) if until is not None else ev["time"].max()
    cuts = windows(lo, hi, freq=freq, step=step)
    rows, comm_rows, sets = [], [], []
    for w, (a, b) in enumerate(cuts):
        if engine == "graph":
            from ..communities import detect_communities
            from ..graph import build_graph
            # build_graph's window is inclusive at both ends; stop just before the next window
            graph = build_graph(ws, since=a, until=b - pd.Timedelta(microseconds=1))
            view = "person" if persons and (graph.nodes["kind"] == "person").any() else "entity"
            res = detect_communities(graph, seed=seed, view=view)
            mem = res.membership
            if "assigned" in mem:
                mem = mem[mem["assigned"] != "unattached"]
            membership = dict(zip(mem["id"].astype(str), mem["community"].astype(int)))
        else:
            part = ev[(ev["time"] >= a) & (ev["time"] < b)]
            membership = _detect(_edges(part, ws, persons=persons), seed=seed)
        groups: dict[int, set] = {}
        for node, c in membership.items():
            groups.setdefault(c, set()).add(node)
        groups = {c: m for c, m in groups.items() if len(m) >= min_size}
        sets.append(groups)
        for c, members in sorted(groups.items()):
            comm_rows.append({"window": w, "start": a, "end": b, "community": c, "size": len(members),
                              "members": sorted(label.get(m, m) for m in members)})
            rows += [{"window": w, "start": a, "end": b, "entity": m, "entity_label": label.get(m, m),
                      "community": c} for m in sorted(members)]
    trans = []
    for w in range(len(sets) - 1):
        for event, src, dst in evolution_events(sets[w], sets[w + 1], threshold=threshold):
            a = set().union(*(sets[w][c] for c in src)) if src else set()
            b = set().union(*(sets[w + 1][d] for d in dst)) if dst else set()
            jac = len(a & b) / len(a | b) if (a or b) and src and dst else None
            trans.append({"from_window": w, "to_window": w + 1, "event": event, "from_communities": list(src),
                          "to_communities": list(dst), "jaccard": None if jac is None else round(jac, 3)})
    transitions = pd.DataFrame(trans, columns=["from_window", "to_window", "event", "from_communities",
                                               "to_communities", "jaccard"])
    return CommunityEvolution(pd.DataFrame(rows, columns=cols_m), pd.DataFrame(comm_rows), transitions, params)
