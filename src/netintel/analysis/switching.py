"""Identifier switching: a target drops a phone (account, e-mail, wallet) and carries on with a new one.

The standard way of following a target who changes handsets: the old identifier goes silent, a
new identifier appears around that time, and the new one talks to the same people, at the same
hours, from the same cells. :func:`propose_switches` scores every (old, new) pair that fits in
time and shares contacts, and proposes "probably the same user" with the evidence an analyst
checks: the shared contacts, the rhythm and place similarity and the gap. An analyst's
confirmation (:func:`confirm_switch`) becomes a resolution decision, kept in the workspace table
``switch_decisions`` (who, when, why) and, when entity resolution offers it, passed on to
resolution so the two identifiers resolve to one entity.

The score, for an old identifier ``o`` and a candidate new identifier ``n``:

``score = contact x (0.6 + 0.4 x mean(rhythm, place)) x timing x (0.5 if o and n talk to each other)``

* ``contact``: cosine similarity of the two contact vectors, each contact weighted by
  ``log(1 + calls)`` and by how rare the contact is (``log(1 + N / degree)``, so a switchboard that
  everybody calls counts for little), the pair itself excluded, shrunk by ``k / (k + 1)`` for ``k``
  shared contacts (two shared contacts are weaker evidence than ten).
* ``rhythm``: cosine similarity of the hour-of-day (circularly smoothed) and weekday profiles.
* ``place``: cosine similarity of the cells the two were served by (as caller; ``place`` of events
  they originate), left out when either has none.
* ``timing``: 1 when the new identifier starts within a day of the old one's last activity, halving
  every ``half_life_days`` of silence between them; overlapping activity is penalised by the share
  of events in the overlap (a user seldom runs both handsets for long).

Pairs are candidates only when the old identifier went silent (no activity in the last
``min_silence_days`` of the data), the new one starts no earlier than ``max_overlap_days`` before
the old one's last activity and no later than ``max_gap_days`` after it, both have
``min_events`` events, they share ``min_shared`` contacts, and they are not the same identifier
written differently (the same phone number in two agencies' records is a resolution matter, not
a switch). Contacts who switched too are followed: pairs accepted in one round (mutual best,
score at least ``follow_score``) are merged in the contact vectors of the next round, so a group
that changes phones one after the other is still matched.

Examples
--------
A group of five; ``+31600000001`` goes silent on day 10 and ``+31600000009`` takes over its
contacts the next day:

>>> import pandas as pd
>>> rows = []
>>> for day in range(20):
...     me = "+31600000001" if day < 10 else "+31600000009"
...     for k, friend in enumerate(["+3161", "+3162", "+3163", "+3164"]):
...         rows.append({"source": me, "target": friend, "place": "cell-A",
...                      "time": pd.Timestamp("2026-01-01") + pd.Timedelta(days=day, hours=9 + k)})
...     rows.append({"source": "+3162", "target": "+3163", "place": "cell-B",
...                  "time": pd.Timestamp("2026-01-01") + pd.Timedelta(days=day, hours=20)})
>>> result = score_switches(pd.DataFrame(rows), min_silence_days=3)
>>> result.table[["old_id", "new_id", "n_shared", "rank"]].to_dict("records")
[{'old_id': '+31600000001', 'new_id': '+31600000009', 'n_shared': 4, 'rank': 1}]
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import ResolutionError
from ..handling import combine
from ..workspace import Workspace
from ._timedata import COMMUNICATION_KINDS, entity_info, number_key, resolved_events, to_timestamp

__all__ = ["SwitchProposals", "score_switches", "timing_rules", "propose_switches", "confirm_switch", "reject_switch",
           "switch_decisions"]

PROPOSAL_COLUMNS = [
    "old_id", "old_label", "new_id", "new_label", "kind", "score", "rank", "mutual", "contact_similarity",
    "rhythm_similarity", "place_similarity", "timing", "direct_contact", "gap_days", "old_first", "old_last",
    "new_first", "new_last", "old_events", "new_events", "n_shared", "shared_contacts", "shared_contact_ids",
    "round",
]

DECISIONS_DDL = """CREATE TABLE IF NOT EXISTS switch_decisions (
    old_id VARCHAR NOT NULL, new_id VARCHAR NOT NULL, decision VARCHAR NOT NULL, score DOUBLE,
    evidence JSON, analyst VARCHAR, decided_at TIMESTAMP, note VARCHAR, resolution_applied BOOLEAN)"""


@dataclass(frozen=True)
class SwitchProposals:
    """Ranked "probably the same user" proposals, with their evidence and how they were made.

    ``table`` has one row per proposal (see ``PROPOSAL_COLUMNS``), ranked per old identifier;
    ``parameters`` the settings used; ``marking`` the handling of the events it was computed from.
    """

    table: pd.DataFrame
    parameters: dict[str, Any] = field(default_factory=dict)
    n_identifiers: int = 0
    n_candidates: int = 0
    marking: str | None = None
    funnel: pd.DataFrame = field(default_factory=lambda: _funnel([]))

    def __len__(self) -> int:
        return len(self.table)

    def why_none(self) -> str:
        """Why nothing (or little) was proposed: each rule and how many it excluded, in order.

        The rule that left nothing is named first, with its setting and the CLI option that
        changes it.
        """
        if self.funnel.empty:
            return "no contact events to score"
        lines = [f"{r.rule}: {r.excluded} excluded, {r.remaining} left" + (f" ({r.setting})" if r.setting else "")
                 for r in self.funnel.itertuples()]
        empty = self.funnel[self.funnel["remaining"] == 0]
        head = (f"nothing left after '{empty.iloc[0]['rule']}' ({empty.iloc[0]['setting']})"
                if len(empty) else f"{len(self.top())} identifiers with a proposal")
        return head + "\n" + "\n".join("  " + line for line in lines)

    def top(self) -> pd.DataFrame:
        """The best proposal per old identifier."""
        return self.table[self.table["rank"] == 1].reset_index(drop=True)

    def for_old(self, old_id: str) -> pd.DataFrame:
        """Every proposal for one old identifier, best first."""
        return self.table[self.table["old_id"] == old_id].reset_index(drop=True)

    def evidence(self, old_id: str, new_id: str) -> dict[str, Any]:
        """The evidence behind one proposal as a plain dict (what :func:`confirm_switch` stores)."""
        rows = self.table[(self.table["old_id"] == old_id) & (self.table["new_id"] == new_id)]
        if rows.empty:
            raise ResolutionError(f"no switch proposal from {old_id} to {new_id}; run propose_switches first "
                                  "or lower min_score")
        row = rows.iloc[0]
        keys = ["score", "contact_similarity", "rhythm_similarity", "place_similarity", "timing",
                "direct_contact", "gap_days", "n_shared", "shared_contacts", "old_label", "new_label"]
        return {k: _plain(row[k]) for k in keys}

    def summary(self) -> pd.DataFrame:
        """The columns an analyst reads first."""
        cols = ["old_label", "new_label", "score", "rank", "mutual", "n_shared", "gap_days", "shared_contacts"]
        return self.table[cols]

    def _repr_html_(self) -> str:
        head = (f"<p><b>Identifier switch proposals</b>: {len(self.top())} old identifiers with a proposal "
                f"({len(self.table)} proposals, {self.n_candidates} candidate pairs scored among "
                f"{self.n_identifiers} identifiers); min_score={self.parameters.get('min_score')}"
                + (f"; {html.escape(self.marking)}" if self.marking else "") + "</p>")
        if self.table.empty:
            return head + "<p>Why nothing was proposed:</p>" + self.funnel.to_html(index=False)
        view = self.summary().copy()
        view["shared_contacts"] = [", ".join(s[:6]) + (" …" if len(s) > 6 else "") for s in view["shared_contacts"]]
        return head + view.to_html(index=False, float_format=lambda v: f"{v:.3f}")

    def __repr__(self) -> str:
        return (f"<SwitchProposals {len(self.top())} old identifiers, {len(self.table)} proposals, "
                f"min_score={self.parameters.get('min_score')}>")


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    return value


# ---------------------------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------------------------
@dataclass
class _Profiles:
    ids: list[str]
    index: dict[str, int]
    n: np.ndarray
    first: np.ndarray  # datetime64[ns]
    last: np.ndarray
    hours: np.ndarray  # (N, 24) circularly smoothed, row-normalised
    weekdays: np.ndarray  # (N, 7) row-normalised
    places: sparse.csr_matrix  # (N, P) counts as caller
    has_place: np.ndarray
    times: dict[str, np.ndarray]  # sorted event times per identifier


def _profiles(rows: pd.DataFrame, ids: list[str]) -> _Profiles:
    """Activity profiles from the long table of (node, other, time, place, is_source) integer rows."""
    index = {x: i for i, x in enumerate(ids)}
    node = rows["node"].to_numpy()
    n_nodes = len(ids)
    times = rows["time"].to_numpy(dtype="datetime64[ns]")
    n = np.bincount(node, minlength=n_nodes)
    order = np.lexsort((times, node))
    node_sorted, times_sorted = node[order], times[order]
    starts = np.searchsorted(node_sorted, np.arange(n_nodes), side="left")
    ends = np.searchsorted(node_sorted, np.arange(n_nodes), side="right")
    first = times_sorted[starts]
    last = times_sorted[np.maximum(ends - 1, 0)]
    per_node_times = {ids[i]: times_sorted[starts[i]:ends[i]] for i in range(n_nodes)}
    ns = times.astype(np.int64)
    hour = (ns // 3_600_000_000_000) % 24
    weekday = (ns // 86_400_000_000_000 + 3) % 7  # 1970-01-01 was a Thursday
    hours = np.zeros((n_nodes, 24))
    np.add.at(hours, (node, hour), 1.0)
    # a call at 09:55 and one at 10:05 are the same habit: smooth over neighbouring hours
    hours = 0.5 * hours + 0.25 * np.roll(hours, 1, axis=1) + 0.25 * np.roll(hours, -1, axis=1)
    weekdays = np.zeros((n_nodes, 7))
    np.add.at(weekdays, (node, weekday), 1.0)
    hours = _normalise(hours)
    weekdays = _normalise(weekdays)
    place = rows["place"].to_numpy()
    placed = (place >= 0) & rows["is_source"].to_numpy()
    n_places = int(place.max()) + 1 if len(place) and place.max() >= 0 else 1
    places = sparse.csr_matrix((np.ones(int(placed.sum())), (node[placed], place[placed])),
                               shape=(n_nodes, n_places))
    has_place = np.asarray(places.sum(axis=1)).ravel() > 0
    return _Profiles(ids, index, n, first, last, hours, weekdays, places, has_place, per_node_times)


def _normalise(m: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(m, axis=1, keepdims=True)
    norm[norm == 0] = 1.0
    return m / norm


def _contact_matrix(rows: pd.DataFrame, index: Mapping[str, int], alias: Mapping[str, str]) -> sparse.csr_matrix:
    """Calls per (identifier, contact), contacts who switched counted under their old identifier."""
    n_nodes = len(index)
    remap = np.arange(n_nodes)
    for new, old in alias.items():
        remap[index[new]] = index[old]
    other = remap[rows["other"].to_numpy()]
    m = sparse.coo_matrix((np.ones(len(other)), (rows["node"].to_numpy(), other)), shape=(n_nodes, n_nodes))
    return m.tocsr()


# ---------------------------------------------------------------------------------------------
# Timing rules adapted to the data
# ---------------------------------------------------------------------------------------------
def timing_rules(start: Any, end: Any, *, max_gap_days: float | None = None, max_overlap_days: float | None = None,
                 min_silence_days: float | None = None, half_life_days: float | None = None) -> dict[str, float]:
    """The timing rules for records spanning ``start`` to ``end``: the given ones, the rest adapted.

    Fixed days suit one kind of data only (a week of silence cannot be seen in ten days of
    records). Adapted to the span ``S`` in days:

    * ``max_gap_days`` = S / 2, between 2 and 60;
    * ``max_overlap_days`` = S / 5, between 0.5 and 14;
    * ``half_life_days`` = S / 6, between 1 and 30;
    * ``min_silence_days`` = S / 40, between 0.25 and 1: the least silence; each identifier
      must also be silent for as long as its own event rate makes unlikely by chance (see
      ``silence_confidence`` of :func:`score_switches`), up to ``max(min_silence_days, S / 3)``
      but never more than 7 days.

    Examples
    --------
    >>> r = timing_rules("2026-01-01", "2026-01-11")
    >>> r["span_days"], r["max_gap_days"], r["max_overlap_days"], r["min_silence_days"]
    (10.0, 5.0, 2.0, 0.25)
    >>> timing_rules("2026-01-01", "2026-07-01", max_gap_days=30)["max_gap_days"]
    30.0
    """
    span = max((pd.Timestamp(end) - pd.Timestamp(start)) / pd.Timedelta(days=1), 0.0)
    auto = {"max_gap_days": min(60.0, max(2.0, span / 2)), "max_overlap_days": min(14.0, max(0.5, span / 5)),
            "half_life_days": min(30.0, max(1.0, span / 6)), "min_silence_days": min(1.0, max(0.25, span / 40))}
    given = {"max_gap_days": max_gap_days, "max_overlap_days": max_overlap_days,
             "min_silence_days": min_silence_days, "half_life_days": half_life_days}
    out = {k: float(given[k]) if given[k] is not None else round(auto[k], 4) for k in auto}
    out["span_days"] = round(float(span), 4)
    return out


def _silence_needed(prof: _Profiles, end: pd.Timestamp, floor: float | None, fixed: float | None,
                    confidence: float) -> np.ndarray:
    """Days of silence at the end each identifier needs to count as gone quiet."""
    if fixed is not None:
        return np.full(len(prof.ids), fixed)
    day = np.timedelta64(86_400_000_000_000, "ns")
    active_days = np.maximum((prof.last - prof.first) / day, 1.0)
    rate = prof.n / active_days
    # P(no event in s days) = exp(-rate * s) for events at a steady rate: s = -ln(1 - confidence) / rate
    needed = -math.log(max(1e-9, 1.0 - confidence)) / np.maximum(rate, 1e-9)
    span = (np.datetime64(end) - prof.first.min()) / day if len(prof.ids) else 0.0
    cap = min(7.0, max(float(floor), float(span) / 3))
    return np.clip(needed, float(floor), cap)


def _cell_aliases(prof: _Profiles, silence_needed: np.ndarray, end: pd.Timestamp, keys: list[str | None],
                  kinds: Mapping[str, str], *, min_events: int, max_overlap_days: float,
                  max_gap_days: float) -> dict[str, str]:
    """Provisional new -> old aliases from timing, cells and hours alone, one-to-one.

    Only a seed for the first round of contact scoring: a pair is kept when the phones were used
    from the same cells (cosine at least 0.5); the next rounds keep only the aliases the shared
    contacts confirm.
    """
    from scipy.optimize import linear_sum_assignment

    day = np.timedelta64(86_400_000_000_000, "ns")
    if not prof.has_place.any():
        return {}
    active = (prof.n >= min_events) & prof.has_place
    silent = (np.datetime64(end) - prof.last) / day >= silence_needed
    olds, news = np.flatnonzero(active & silent), np.flatnonzero(active)
    if not len(olds) or not len(news):
        return {}
    fo, lo = prof.first[olds][:, None], prof.last[olds][:, None]
    fn, ln = prof.first[news][None, :], prof.last[news][None, :]
    fits = (fn > fo) & (ln > lo) & (fn >= lo - max_overlap_days * day) & (fn <= lo + max_gap_days * day)
    places = _normalise_rows(prof.places)
    place = (places[olds] @ places[news].T).toarray()
    rhythm = prof.hours[olds] @ prof.hours[news].T
    score = np.where(fits & (place >= 0.5), place * (0.5 + 0.5 * rhythm), 0.0)
    for i, o in enumerate(olds):
        for j, n in enumerate(news):
            if score[i, j] and ((keys[o] is not None and keys[o] == keys[n])
                                or (kinds and kinds.get(prof.ids[o]) != kinds.get(prof.ids[n]))):
                score[i, j] = 0.0
    rows, cols = linear_sum_assignment(score, maximize=True)
    return {prof.ids[news[c]]: prof.ids[olds[r]] for r, c in zip(rows, cols) if score[r, c] > 0}


def _normalise_rows(m: sparse.csr_matrix) -> sparse.csr_matrix:
    norm = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norm[norm == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norm) @ m)


def _silence_text(given: float | None, rules: Mapping[str, float], confidence: float) -> str:
    if given is not None:
        return f"min_silence_days={given:g}"
    return (f"silent at least {rules['min_silence_days']:g} days and as long as its own rate makes unlikely "
            f"(silence_confidence={confidence:g})")


def _funnel(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["rule", "setting", "excluded", "remaining"])


# ---------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------
def score_switches(events: pd.DataFrame, *, labels: Mapping[str, str] | None = None,
                   kinds: Mapping[str, str] | None = None, min_score: float = 0.25, top_k: int = 3,
                   runner_up_ratio: float = 0.6, min_events: int = 3, min_shared: int = 2,
                   max_gap_days: float | None = None, max_overlap_days: float | None = None,
                   min_silence_days: float | None = None, half_life_days: float | None = None,
                   silence_confidence: float = 0.99, follow_score: float = 0.1, rounds: int = 4,
                   end: Any = None) -> SwitchProposals:
    """Score identifier switches from a table of contact events.

    Parameters
    ----------
    events : DataFrame with ``source``, ``target``, ``time`` and optionally ``place`` (the cell of
        the ``source`` side) and ``kind``. Rows without a target are ignored.
    labels : identifier id -> display label (a phone number); identifiers whose labels are the same
        number written differently are never proposed as a switch.
    kinds : identifier id -> entity kind; only identifiers of the same kind are paired.
    min_score : proposals below it are dropped.
    top_k, runner_up_ratio : at most ``top_k`` proposals per old identifier, runners-up only when
        they reach ``runner_up_ratio`` of the best score.
    min_events, min_shared : least activity of each identifier and least shared contacts.
    max_gap_days, max_overlap_days, min_silence_days, half_life_days : the timing rules (module
        text). None (the default) adapts each to the data (:func:`timing_rules`): to the span of
        the records and, for the silence, to each identifier's own event rate.
    silence_confidence : with ``min_silence_days`` adapted, an identifier counts as silent when
        its own rate makes so long a silence this unlikely by chance (0.99: a 1% chance).
    follow_score, rounds : contacts who switched too are followed for up to ``rounds`` rounds.
    end : the end of observation (default: the last event).

    Returns
    -------
    SwitchProposals
        ``funnel`` counts, rule by rule, the identifiers and pairs each rule excluded, so a run
        that proposes nothing says why (:meth:`SwitchProposals.why_none`).
    """
    given = dict(max_gap_days=max_gap_days, max_overlap_days=max_overlap_days,
                 min_silence_days=min_silence_days, half_life_days=half_life_days)
    params: dict[str, Any] = dict(min_score=min_score, top_k=top_k, runner_up_ratio=runner_up_ratio,
                                  min_events=min_events, min_shared=min_shared, **given,
                                  silence_confidence=silence_confidence, follow_score=follow_score, rounds=rounds)
    ev = events[events["target"].notna() & events["time"].notna()]
    ev = ev[ev["source"] != ev["target"]]
    if ev.empty:
        funnel = _funnel([("events with a time and two ends", "", 0, 0)])
        return SwitchProposals(pd.DataFrame(columns=PROPOSAL_COLUMNS), params, 0, 0, funnel=funnel)
    t = pd.to_datetime(ev["time"]).to_numpy(dtype="datetime64[ns]")
    # integer codes for identifiers and places, sorted so row order never changes the result
    m = len(ev)
    codes, uniques = pd.factorize(np.concatenate([ev["source"].astype(str).to_numpy(dtype=object),
                                                  ev["target"].astype(str).to_numpy(dtype=object)]), sort=True)
    ids = [str(u) for u in uniques]
    if "place" in ev:
        place = ev["place"].to_numpy(dtype=object)
        place = np.where(pd.isna(place), None, place.astype(str))
        pcode, _ = pd.factorize(place, sort=True, use_na_sentinel=True)
    else:
        pcode = np.full(m, -1)
    rows = pd.DataFrame({"node": np.concatenate([codes[:m], codes[m:]]),
                         "other": np.concatenate([codes[m:], codes[:m]]),
                         "time": np.concatenate([t, t]), "place": np.concatenate([pcode, pcode]),
                         "is_source": np.concatenate([np.ones(m, bool), np.zeros(m, bool)])})
    prof = _profiles(rows, ids)
    end_ts = to_timestamp(end) if end is not None else pd.Timestamp(t.max())
    rules = timing_rules(pd.Timestamp(t.min()), end_ts, **given)
    params.update({k: rules[k] for k in given})
    params["adapted"] = sorted(k for k, v in given.items() if v is None)
    params["span_days"] = rules["span_days"]
    max_gap_days, max_overlap_days, half_life_days = (rules[k] for k in ("max_gap_days", "max_overlap_days",
                                                                          "half_life_days"))
    silence_needed = _silence_needed(prof, end_ts, rules["min_silence_days"] if min_silence_days is None else None,
                                     float(min_silence_days) if min_silence_days is not None else None,
                                     silence_confidence)
    funnel_rows: list[tuple[str, str, int, int]] = []
    labels = dict(labels or {})
    kinds = dict(kinds or {})
    keys = [number_key(labels.get(x, x)) for x in prof.ids]
    day = np.timedelta64(86_400_000_000_000, "ns")

    # a group that changes phones at once leaves its old and new phones few contacts in common
    # (the others changed too): seed the first round with where and when the phones were used
    alias = _cell_aliases(prof, silence_needed, end_ts, keys, kinds, min_events=min_events,
                          max_overlap_days=max_overlap_days, max_gap_days=max_gap_days) if rounds > 1 else {}
    all_rows: list[dict[str, Any]] = []
    n_candidates = 0
    for round_no in range(1, max(1, rounds) + 1):
        counts = _contact_matrix(rows, prof.index, alias)
        contact_ids = prof.ids
        binary = (counts > 0).astype(np.float64)
        degree = np.asarray(binary.sum(axis=0)).ravel()
        idf = np.log1p(len(prof.ids) / np.maximum(degree, 1))
        weights = counts.copy()
        weights.data = np.log1p(weights.data)
        weights = sparse.csr_matrix(weights.multiply(idf[np.newaxis, :]))
        distinct = np.asarray(binary.sum(axis=1)).ravel()
        silent = (np.datetime64(end_ts) - prof.last) / day >= silence_needed
        active = (prof.n >= min_events) & (distinct >= min_shared)
        old_ok = np.flatnonzero(active & silent)
        new_ok = np.flatnonzero(active)
        shared = (binary[old_ok] @ binary[new_ok].T).tocoo() if len(old_ok) and len(new_ok) else None
        keep = shared.data >= min_shared if shared is not None else np.zeros(0, bool)
        oi = old_ok[shared.row[keep]] if shared is not None else np.zeros(0, int)
        ni = new_ok[shared.col[keep]] if shared is not None else np.zeros(0, int)
        oi, ni = oi[oi != ni], ni[oi != ni]
        first_o, last_o = prof.first[oi], prof.last[oi]
        first_n, last_n = prof.first[ni], prof.last[ni]
        later = (first_n > first_o) & (last_n > last_o)
        not_overlapping = first_n >= last_o - max_overlap_days * day
        not_too_late = first_n <= last_o + max_gap_days * day
        fits = later & not_overlapping & not_too_late
        n_total = len(prof.ids)
        counts_round = [
            ("identifiers", "", 0, n_total),
            ("too little activity", f"min_events={min_events}, at least min_shared={min_shared} contacts",
             int((~active).sum()), int(active.sum())),
            ("still active at the end (not silent)", _silence_text(min_silence_days, rules, silence_confidence),
             int((active & ~silent).sum()), len(old_ok)),
            ("pairs sharing too few contacts", f"min_shared={min_shared}",
             max(0, len(old_ok) * len(new_ok) - len(old_ok) - len(oi)), len(oi)),
            ("new one not later than the old one", "starts and ends after it", int((~later).sum()),
             int(later.sum())),
            ("used side by side too long", f"max_overlap_days={max_overlap_days:g}",
             int((later & ~not_overlapping).sum()), int((later & not_overlapping).sum())),
            ("started too long after the old one went silent", f"max_gap_days={max_gap_days:g}",
             int((later & not_overlapping & ~not_too_late).sum()), int(fits.sum())),
        ]
        oi, ni = oi[fits], ni[fits]
        n_candidates = max(n_candidates, len(oi))
        cindex = prof.index
        round_rows = []
        other_kind = same_number = 0
        for o, n in zip(oi.tolist(), ni.tolist()):
            old_id, new_id = prof.ids[o], prof.ids[n]
            if kinds and kinds.get(old_id) != kinds.get(new_id):
                other_kind += 1
                continue
            if keys[o] is not None and keys[o] == keys[n]:
                same_number += 1
                continue  # the same identifier written two ways: a resolution matter
            row = _score_pair(o, n, prof, weights, cindex, contact_ids, alias, min_shared=min_shared,
                              half_life_days=half_life_days, day=day)
            if row is None:
                continue
            row["round"] = round_no
            round_rows.append(row)
        remaining = int(fits.sum()) - other_kind
        counts_round += [("identifiers of different kinds", "phone with phone, account with account", other_kind,
                          remaining),
                         ("the same number written two ways", "a resolution matter", same_number,
                          remaining - same_number)]
        if round_no == 1 or round_rows:
            funnel_rows = counts_round
        all_rows = round_rows
        if not round_rows:
            break
        ranked = _rank(pd.DataFrame(round_rows))
        # follow: one-to-one switches become aliases in the next round's contact vectors, so that
        # contacts who changed numbers too still count as shared; iterate until nothing changes
        confident = ranked[(ranked["rank"] == 1) & ranked["mutual"] & (ranked["score"] >= follow_score)]
        next_alias = dict(zip(confident["new_id"], confident["old_id"]))
        if next_alias == alias:
            break
        alias = next_alias

    scored = pd.DataFrame(all_rows)
    above = scored[scored["score"] >= min_score] if len(scored) else scored
    funnel_rows.append(("scored below min_score", f"min_score={min_score:g}", len(scored) - len(above),
                        len(above)))
    funnel = _funnel(funnel_rows)
    if above.empty:
        return SwitchProposals(pd.DataFrame(columns=PROPOSAL_COLUMNS), params, len(prof.ids), n_candidates,
                               funnel=funnel)
    table = _rank(above)
    best = table.groupby("old_id")["score"].transform("max")
    table = table[(table["rank"] <= top_k) & ((table["rank"] == 1) | (table["score"] >= runner_up_ratio * best))]
    table["old_label"] = [labels.get(x, x) for x in table["old_id"]]
    table["new_label"] = [labels.get(x, x) for x in table["new_id"]]
    table["kind"] = [kinds.get(x) for x in table["old_id"]]
    table["shared_contacts"] = [[labels.get(c, c) for c in ids] for ids in table["shared_contact_ids"]]
    table = table.sort_values(["score", "old_id", "rank"], ascending=[False, True, True], kind="stable")
    # group each old identifier's proposals together, the best-scored old identifiers first
    order = {o: i for i, o in enumerate(dict.fromkeys(table["old_id"]))}
    table = table.assign(_g=table["old_id"].map(order)).sort_values(["_g", "rank"], kind="stable")
    table = table[PROPOSAL_COLUMNS].reset_index(drop=True)
    return SwitchProposals(table, params, len(prof.ids), n_candidates, funnel=funnel)


def _rank(scored: pd.DataFrame) -> pd.DataFrame:
    """Rank each old identifier's candidates, one-to-one first.

    A new handset is one user's: when several old identifiers (a group that switched at once)
    compete for the same new ones, the assignment that maximises the summed score (Hungarian
    method) decides, and each old identifier's assigned candidate ranks first. ``mutual`` marks
    the assigned pairs.
    """
    from scipy.optimize import linear_sum_assignment

    olds, o_idx = np.unique(scored["old_id"].to_numpy(dtype=object).astype(str), return_inverse=True)
    news, n_idx = np.unique(scored["new_id"].to_numpy(dtype=object).astype(str), return_inverse=True)
    matrix = np.zeros((len(olds), len(news)))
    np.maximum.at(matrix, (o_idx, n_idx), scored["score"].to_numpy(dtype=float))
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    assigned = {(olds[r], news[c]) for r, c in zip(rows, cols) if matrix[r, c] > 0}
    scored = scored.assign(_assigned=[(str(o), str(n)) in assigned
                                      for o, n in zip(scored["old_id"], scored["new_id"])])
    scored = scored.sort_values(["old_id", "_assigned", "score", "new_id"], ascending=[True, False, False, True],
                                kind="stable")
    scored = scored.assign(rank=scored.groupby("old_id").cumcount() + 1)
    scored["mutual"] = scored["_assigned"] & (scored["rank"] == 1)
    return scored.drop(columns="_assigned")


def _row(m: sparse.csr_matrix, i: int) -> dict[int, float]:
    lo, hi = m.indptr[i], m.indptr[i + 1]
    return dict(zip(m.indices[lo:hi].tolist(), m.data[lo:hi].tolist()))


def _score_pair(o: int, n: int, prof: _Profiles, weights: sparse.csr_matrix, cindex: dict[str, int],
                contact_ids: list[str], alias: Mapping[str, str], *, min_shared: int, half_life_days: float,
                day: np.timedelta64) -> dict[str, Any] | None:
    old_id, new_id = prof.ids[o], prof.ids[n]
    vo, vn = _row(weights, o), _row(weights, n)
    # the pair itself (and whatever it is aliased to) is not a contact of the user
    excluded = {cindex[c] for c in (old_id, new_id, alias.get(old_id), alias.get(new_id)) if c in cindex}
    direct = any(i in vo for i in excluded) or any(i in vn for i in excluded)
    for i in excluded:
        vo.pop(i, None)
        vn.pop(i, None)
    shared = sorted(set(vo) & set(vn))
    if not shared or len(shared) < min_shared:
        return None
    dot = sum(vo[i] * vn[i] for i in shared)
    norm = math.sqrt(sum(v * v for v in vo.values())) * math.sqrt(sum(v * v for v in vn.values()))
    cosine = dot / norm if norm else 0.0
    k = len(shared)
    contact = cosine * k / (k + 1)
    rhythm = 0.7 * float(prof.hours[o] @ prof.hours[n]) + 0.3 * float(prof.weekdays[o] @ prof.weekdays[n])
    place = None
    if prof.has_place[o] and prof.has_place[n]:
        po, pn = _row(prof.places, o), _row(prof.places, n)
        denom = math.sqrt(sum(v * v for v in po.values())) * math.sqrt(sum(v * v for v in pn.values()))
        place = sum(v * pn.get(i, 0.0) for i, v in po.items()) / denom if denom else 0.0
    modifiers = [rhythm] + ([place] if place is not None else [])
    modifier = 0.6 + 0.4 * float(np.mean(modifiers))
    gap = (prof.first[n] - prof.last[o]) / day
    timing = 0.5 ** (max(0.0, gap - 1.0) / half_life_days) if half_life_days > 0 else 1.0
    if gap < 0:
        # both active at once: penalise by the share of their events inside the overlap
        t_o, t_n = prof.times[old_id], prof.times[new_id]
        in_overlap = (np.count_nonzero(t_o >= prof.first[n]) + np.count_nonzero(t_n <= prof.last[o]))
        timing *= (1.0 - in_overlap / (len(t_o) + len(t_n))) ** 2
    score = contact * modifier * timing * (0.5 if direct else 1.0)
    # shared contacts listed by how much they weigh in the score, heaviest first
    shared_sorted = sorted(shared, key=lambda i: (-(vo[i] * vn[i]), contact_ids[i]))
    return {
        "_o": o, "_n": n, "old_id": old_id, "new_id": new_id, "score": round(float(score), 6),
        "contact_similarity": round(float(contact), 6), "rhythm_similarity": round(rhythm, 6),
        "place_similarity": None if place is None else round(place, 6), "timing": round(float(timing), 6),
        "direct_contact": bool(direct), "gap_days": round(float(gap), 3),
        "old_first": pd.Timestamp(prof.first[o]), "old_last": pd.Timestamp(prof.last[o]),
        "new_first": pd.Timestamp(prof.first[n]), "new_last": pd.Timestamp(prof.last[n]),
        "old_events": int(prof.n[o]), "new_events": int(prof.n[n]), "n_shared": k,
        "shared_contact_ids": [contact_ids[i] for i in shared_sorted],
    }


# ---------------------------------------------------------------------------------------------
# Workspace
# ---------------------------------------------------------------------------------------------
def propose_switches(ws: Workspace, *, kinds: Iterable[str] = COMMUNICATION_KINDS,
                     identifier_kinds: Iterable[str] | None = ("phone", "email", "bank_account", "crypto_wallet",
                                                               "user_account"),
                     since: Any = None, until: Any = None, min_score: float = 0.25,
                     include_decided: bool = False, merge_same_numbers: bool = True,
                     **options: Any) -> SwitchProposals:
    """Propose identifier switches from the workspace's contact events (calls, messages, transfers).

    Parameters
    ----------
    ws : the case workspace; events are read on resolved ids.
    kinds : event kinds that count as contact.
    identifier_kinds : entity kinds that can switch; None for any kind.
    since, until : the observation window (``until`` exclusive).
    min_score : proposals below it are dropped.
    include_decided : keep pairs an analyst already confirmed or rejected (``decision`` column says which).
    merge_same_numbers : treat identifiers of one kind whose numbers match (last nine digits, see
        ``number_key``) as one, as resolution would; the smallest id stands for them.
    options : passed to :func:`score_switches` (``min_shared``, ``max_gap_days``, ...).

    Examples
    --------
    >>> ws = Workspace()
    >>> propose_switches(ws).table.empty
    True
    """
    ev = resolved_events(ws, kinds=kinds, since=since, until=until)
    info = entity_info(ws)
    labels = dict(zip(info["resolved_id"], info["label"].astype(str)))
    kind_of = dict(zip(info["resolved_id"], info["kind"]))
    if merge_same_numbers and not ev.empty:
        # before resolution, one number in two agencies' call records is two entities: count it once,
        # so a contact shared under two spellings still counts as shared
        canonical = _same_number_map(info)
        if canonical:
            ev = ev.assign(source=ev["source"].map(lambda x: canonical.get(x, x)),
                           target=ev["target"].map(lambda x: canonical.get(x, x) if isinstance(x, str) else x))
    result = score_switches(ev, labels=labels, kinds=kind_of, min_score=min_score,
                            end=until if until is not None else None, **options)
    table = result.table
    if identifier_kinds is not None and not table.empty:
        table = table[table["kind"].isin(set(identifier_kinds))]
    n_kind_ok = len(table)
    decisions = switch_decisions(ws)
    table = table.copy()
    if not decisions.empty:
        latest = decisions.drop_duplicates(["old_id", "new_id"], keep="last")
        decided = {(o, n): d for o, n, d in zip(latest["old_id"], latest["new_id"], latest["decision"])}
        table["decision"] = [decided.get((o, n)) for o, n in zip(table["old_id"], table["new_id"])]
        if not include_decided:
            table = table[table["decision"].isna()]
    else:
        table["decision"] = None
    marking = None
    if not ev.empty:
        used = ev[ev["source"].isin(set(table["old_id"]) | set(table["new_id"]))] if not table.empty else ev.iloc[:0]
        if not used.empty:
            m = combine(zip(used["handling"].fillna("TLP:AMBER"),
                            [list(r) if r is not None else [] for r in used["releasable_to"]],
                            used["country"].fillna("")), partners=ws.partners())
            marking = m.banner
    funnel = result.funnel
    if identifier_kinds is not None and len(funnel):
        funnel = pd.concat([funnel, _funnel([("not an identifier kind that can switch",
                                              ", ".join(identifier_kinds), len(result.table) - n_kind_ok,
                                              n_kind_ok)])], ignore_index=True)
    return SwitchProposals(table.reset_index(drop=True), result.parameters, result.n_identifiers,
                           result.n_candidates, marking, funnel)


def _same_number_map(info: pd.DataFrame) -> dict[str, str]:
    keyed = info.assign(key=[number_key(v) for v in info["label"]])
    keyed = keyed[keyed["key"].notna() & (keyed["key"].str.len() >= 9) & keyed["key"].str.isdigit()]
    out: dict[str, str] = {}
    for _, group in keyed.groupby(["kind", "key"]):
        if len(group) > 1:
            first = min(group["resolved_id"])
            out.update({rid: first for rid in group["resolved_id"] if rid != first})
    return out


def _ensure_decisions(ws: Workspace) -> None:
    ws.execute(DECISIONS_DDL)


def switch_decisions(ws: Workspace) -> pd.DataFrame:
    """Every analyst decision on a switch proposal, oldest first (``evidence`` decoded)."""
    if not ws.has_table("switch_decisions"):
        return pd.DataFrame(columns=["old_id", "new_id", "decision", "score", "evidence", "analyst", "decided_at",
                                     "note", "resolution_applied"])
    df = ws.sql("SELECT * FROM switch_decisions ORDER BY decided_at, old_id, new_id")
    df["evidence"] = [json.loads(e) if isinstance(e, str) else e for e in df["evidence"]]
    return df


def _decide(ws: Workspace, old_id: str, new_id: str, decision: str, *, analyst: str | None,
            note: str | None, proposals: SwitchProposals | None, apply: bool) -> dict[str, Any]:
    if old_id == new_id:
        raise ResolutionError(f"switch decision: old and new identifier are the same ({old_id})")
    known = set(ws.resolved_ids()["resolved_id"]) | set(ws.resolved_ids()["entity_id"])
    missing = [x for x in (old_id, new_id) if x not in known]
    if missing:
        raise ResolutionError(f"switch decision: {', '.join(missing)} not in this workspace; "
                              "give resolved ids as propose_switches lists them")
    evidence: dict[str, Any] = {}
    score = None
    if proposals is not None:
        try:
            evidence = proposals.evidence(old_id, new_id)
            score = evidence.get("score")
        except ResolutionError:
            evidence = {}
    applied = False
    if decision == "confirmed" and apply:
        applied = _apply_to_resolution(ws, old_id, new_id, analyst=analyst, note=note)
    _ensure_decisions(ws)
    row = {"old_id": old_id, "new_id": new_id, "decision": decision, "score": score,
           "evidence": json.dumps(evidence, default=str, ensure_ascii=False, sort_keys=True),
           "analyst": analyst or ws.actor, "decided_at": datetime.now(timezone.utc).replace(tzinfo=None),
           "note": note, "resolution_applied": applied}
    ws.execute("INSERT INTO switch_decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(row.values()))
    ws.audit(f"switch_{decision}", {"old_id": old_id, "new_id": new_id, "analyst": row["analyst"],
                                    "score": score, "note": note, "resolution_applied": applied})
    return row


def _apply_to_resolution(ws: Workspace, old_id: str, new_id: str, *, analyst: str | None, note: str | None) -> bool:
    """Hand a confirmed switch to entity resolution as a confirmed pair (a must-link).

    Resolution decisions name entity records: the first record of each resolved id stands for it.
    The pair takes effect at the next ``netintel.resolve.resolve`` run, which merges the two
    identifiers into one entity. Returns False when resolution is not installed.
    """
    try:
        from ..resolve.decisions import confirm as confirm_pair
    except ImportError:  # pragma: no cover - resolution ships with the package
        return False
    ids = ws.resolved_ids()
    records = ids.sort_values("entity_id").drop_duplicates("resolved_id").set_index("resolved_id")["entity_id"]
    rec_old = records.get(old_id, old_id)
    rec_new = records.get(new_id, new_id)
    reason = f"identifier switch confirmed: {old_id} -> {new_id}" + (f" ({note})" if note else "")
    actor = ws.actor
    ws.actor = analyst or actor
    try:
        confirm_pair(ws, rec_old, rec_new, note=reason)
    finally:
        ws.actor = actor
    return True


def confirm_switch(ws: Workspace, old_id: str, new_id: str, *, analyst: str | None = None,
                   note: str | None = None, proposals: SwitchProposals | None = None,
                   apply_resolution: bool = True) -> dict[str, Any]:
    """Record an analyst's confirmation that ``new_id`` is the same user as ``old_id``.

    Writes a row to ``switch_decisions`` (who, when, the evidence of the proposal) and the audit
    log, and passes the pair on to entity resolution as a confirmed pair
    (:func:`netintel.resolve.confirm`), so the next resolution run merges both identifiers into
    one entity. Returns the row written (``resolution_applied`` says whether the pair was passed on).

    Examples
    --------
    >>> ws = Workspace()
    >>> confirm_switch(ws, "E1", "E2")
    Traceback (most recent call last):
    ...
    netintel.errors.ResolutionError: switch decision: E1, E2 not in this workspace; give resolved ids as propose_switches lists them
    """
    return _decide(ws, old_id, new_id, "confirmed", analyst=analyst, note=note, proposals=proposals,
                   apply=apply_resolution)


def reject_switch(ws: Workspace, old_id: str, new_id: str, *, analyst: str | None = None,
                  note: str | None = None, proposals: SwitchProposals | None = None) -> dict[str, Any]:
    """Record that an analyst rejected a proposal; it is left out of later proposals."""
    return _decide(ws, old_id, new_id, "rejected", analyst=analyst, note=note, proposals=proposals, apply=False)
