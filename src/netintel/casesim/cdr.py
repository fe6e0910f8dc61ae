"""Call records of a population that changes handsets, over any span, with the truth of every switch.

Written from how targets are followed in practice (a handset goes quiet, a new one takes over
the same contacts, hours and cells), not from :mod:`netintel.synth`. Its own habits:

* handsets are **bare integers** (a carrier's internal subscriber numbers, 4-6 digits), cells
  are CGIs ``MCC-MNC-LAC-CI``;
* people live in circles of 4-12 (family, friends, crews) with a few ties outside, and each has
  a personal call rate (heavy-tailed: from a call every other day to twenty a day), active
  hours and two or three cells;
* noise that a switch detector must not mistake for a switch: people who leave and never come
  back, newcomers who take up some of the same contacts, burners used for a day or two, a
  taxi switchboard everybody calls, old handsets used a few more times after the switch;
* switches: individuals at random times and, on purpose, **a whole circle that changes phones
  within hours** near the end of the record (as a group that suspects an intercept does).

:func:`simulate_calls` returns the calls and the truth; :meth:`SimCalls.write` writes a CDR CSV
with its mapping and a ``source.yaml``, ready for ``netintel ingest``.

Examples
--------
>>> sim = simulate_calls(3, days=10, people=60)
>>> sorted(sim.calls.columns)
['duration', 'place', 'source', 'target', 'time']
>>> bool(sim.calls["source"].str.fullmatch(r"[0-9]{4,6}").all())
True
>>> int(sim.switches["group"].notna().sum()) >= 3
True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

__all__ = ["SimCalls", "simulate_calls"]

_MCC = ("204", "206", "262", "284", "232", "216")  # NL, BE, DE, BG, AT, HU


@dataclass(frozen=True)
class SimCalls:
    """Simulated call records and the truth behind them.

    ``calls``: ``source, target, time, duration, place`` (handsets as strings of digits);
    ``switches``: ``person, old, new, time, group`` (``group`` set when a circle switched at once);
    ``people``: ``person, circle, handsets``.
    """

    seed: int
    days: float
    calls: pd.DataFrame
    switches: pd.DataFrame
    people: pd.DataFrame

    def write(self, folder: str | Path, *, agency: str = "Carrier intercept unit", country: str = "NL") -> Path:
        """Write ``cdr.csv``, ``cdr.mapping.yaml`` and ``source.yaml`` into ``folder``; returns it."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        out = pd.DataFrame({"a_party": self.calls["source"], "b_party": self.calls["target"],
                            "start_utc": self.calls["time"].dt.strftime("%Y-%m-%d %H:%M:%S"),
                            "seconds": self.calls["duration"].astype(int), "cgi": self.calls["place"]})
        out.to_csv(folder / "cdr.csv", index=False)
        mapping = {"format": "events", "event": "call", "date_format": "%Y-%m-%d %H:%M:%S",
                   "columns": {"caller": "a_party", "callee": "b_party", "start": "start_utc",
                               "duration": "seconds", "cell": "cgi"}}
        (folder / "cdr.mapping.yaml").write_text(yaml.safe_dump(mapping, sort_keys=False), "utf-8")
        source = {"agency": agency, "country": country, "grading": "B2", "grading_scheme": "europol_4x4",
                  "handling": "TLP:AMBER", "releasable_to": ["PARTNERS"]}
        (folder / "source.yaml").write_text(yaml.safe_dump(source, sort_keys=False), "utf-8")
        return folder


def simulate_calls(seed: int, *, days: float = 10.0, people: int = 150, individual_switches: int | None = None,
                   group_switch: bool = True, start: str = "2026-03-02") -> SimCalls:
    """Simulate ``days`` of call records among ``people`` persons, with planted handset switches.

    Parameters
    ----------
    seed : int
        Seeds every draw.
    days : float
        Span of the records (10 days and 180 days are the two shapes the benchmark uses).
    people : int
        Persons in the population (handsets, burners and the switchboard come on top).
    individual_switches : int, optional
        Persons who change handsets alone, at random times in the middle of the span (default:
        2 for spans up to 30 days, one per 20 days beyond).
    group_switch : bool
        One circle changes handsets within hours of each other, a day or two before the end.
    start : str
        First day of the records.

    Returns
    -------
    SimCalls
    """
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    span = float(days)
    # circles of 4-12, everybody in one
    circle, sizes = [], []
    while len(circle) < people:
        size = int(rng.integers(4, 13))
        sizes.append(size)
        circle += [len(sizes) - 1] * size
    circle = np.array(circle[:people])
    n_circles = int(circle.max()) + 1
    rate = np.clip(rng.lognormal(np.log(3.0), 0.8, people), 0.4, 20.0)  # outgoing calls a day
    peak = rng.normal(14.0, 3.5, people)  # the hour a person calls most
    spread = rng.uniform(2.0, 4.5, people)
    mcc = rng.choice(_MCC[:3], people, p=[0.6, 0.25, 0.15])
    cells = [[f"{mcc[i]}-{rng.integers(1, 20):02d}-{rng.integers(100, 999):05d}-{rng.integers(1000, 65000):05d}"
              for _ in range(int(rng.integers(1, 4)))] for i in range(people)]
    # contacts: most of one's circle, a few outside, weighted by a heavy-tailed preference
    contacts: list[dict[int, float]] = []
    for i in range(people):
        mine = [j for j in np.flatnonzero(circle == circle[i]) if j != i]
        keep = [j for j in mine if rng.random() < 0.85] or mine[:1]
        outside = rng.choice(people, int(rng.integers(1, 5)), replace=False)
        c = {int(j): float(rng.pareto(1.5) + 1) for j in keep}
        c.update({int(j): float(rng.pareto(1.5) + 0.3) for j in outside if j != i and circle[j] != circle[i]})
        contacts.append(c)
    # handsets: bare integers, unique; a person's handset changes at a switch
    pool = iter(rng.permutation(np.arange(1000, 99999))[: people * 3 + 200].tolist())
    handsets: list[list[tuple[float, str]]] = [[(0.0, str(next(pool)))] for _ in range(people)]
    leave = np.full(people, np.inf)
    arrive = np.zeros(people)
    switch_rows = []
    n_ind = individual_switches if individual_switches is not None else (2 if span <= 30 else int(span // 20))
    order = rng.permutation(people)
    chosen_group = None
    if group_switch:
        candidates = [c for c in range(n_circles) if (circle == c).sum() >= 4]
        chosen_group = int(rng.choice(candidates))
    busy = set(np.flatnonzero(circle == chosen_group).tolist()) if chosen_group is not None else set()
    singles = [int(p) for p in order if int(p) not in busy][:n_ind]
    # churn: some leave for good, some arrive late (not switches: nobody takes over their contacts)
    others = [int(p) for p in order if int(p) not in busy and int(p) not in singles]
    n_churn = max(2, people // 25)
    for p in others[:n_churn]:
        leave[p] = rng.uniform(0.3, 0.8) * span
    for p in others[n_churn:2 * n_churn]:
        arrive[p] = rng.uniform(0.2, 0.7) * span
    for p in singles:
        t = float(rng.uniform(0.2, 0.85) * span)
        handsets[p].append((t, str(next(pool))))
        switch_rows.append({"person": p, "old": handsets[p][0][1], "new": handsets[p][1][1], "time": t,
                            "group": None})
    if chosen_group is not None:
        base = span - float(rng.uniform(1.5, 2.5))
        for p in sorted(busy):
            t = base + float(rng.uniform(-0.25, 0.25))
            handsets[p].append((t, str(next(pool))))
            switch_rows.append({"person": p, "old": handsets[p][0][1], "new": handsets[p][1][1], "time": t,
                                "group": f"circle {chosen_group}"})
    switched_at = {r["person"]: r["time"] for r in switch_rows}

    def handset(p: int, t: float) -> str:
        current = handsets[p][0][1]
        for since, number in handsets[p]:
            if t >= since:
                current = number
        return current

    # after a switch a few contacts are left behind (about one in seven)
    dropped = {(i, j) for i in switched_at for j in contacts[i] if rng.random() < 1 / 7}
    rows = []
    n_days = int(np.ceil(span))
    for i in range(people):
        weights = np.array(list(contacts[i].values()))
        targets = np.array(list(contacts[i].keys()))
        for d in range(n_days):
            n = rng.poisson(rate[i] * min(1.0, span - d))
            for _ in range(n):
                hour = (peak[i] + rng.normal(0, spread[i])) % 24
                t = d + hour / 24.0
                if t >= span or t < arrive[i] or t >= leave[i]:
                    continue
                j = int(rng.choice(targets, p=weights / weights.sum()))
                if t < arrive[j] or t >= leave[j]:
                    continue
                # after a switch some contacts are dropped for good (a new phone, a smaller circle)
                if i in switched_at and t >= switched_at[i] and (i, j) in dropped:
                    continue
                src = handset(i, t)
                # the old handset still rings a few times in the hours after the switch
                if i in switched_at and switched_at[i] <= t < switched_at[i] + 0.15 and rng.random() < 0.3:
                    src = handsets[i][0][1]
                rows.append((src, handset(j, t), t, float(rng.lognormal(4.0, 1.0)),
                             cells[i][int(rng.integers(len(cells[i])))]))
    # burners: a handful of calls over a day or two to one or two people
    for _ in range(max(3, people // 15)):
        number = str(next(pool))
        day = float(rng.uniform(0, max(span - 2, 0.5)))
        for _ in range(int(rng.integers(2, 6))):
            j = int(rng.integers(people))
            t = day + float(rng.uniform(0, 2))
            if t < span:
                rows.append((number, handset(j, t), t, float(rng.lognormal(3.5, 0.8)), cells[j][0]))
    # a taxi switchboard everybody calls now and then
    board = str(next(pool))
    for i in range(people):
        for _ in range(rng.poisson(0.05 * span)):
            t = float(rng.uniform(0, span))
            if arrive[i] <= t < leave[i]:
                rows.append((handset(i, t), board, t, 40.0, cells[i][0]))
    calls = pd.DataFrame(rows, columns=["source", "target", "t", "duration", "place"])
    calls = calls[calls["source"] != calls["target"]]
    calls["time"] = t0 + pd.to_timedelta(calls["t"], unit="D").dt.round("s")
    calls["duration"] = calls["duration"].round().clip(lower=1)
    calls = calls.sort_values(["time", "source", "target"], kind="stable").reset_index(drop=True)
    calls = calls[["source", "target", "time", "duration", "place"]]
    switches = pd.DataFrame(switch_rows, columns=["person", "old", "new", "time", "group"])
    switches["time"] = t0 + pd.to_timedelta(switches["time"], unit="D").dt.round("s")
    people_frame = pd.DataFrame({"person": np.arange(people), "circle": circle,
                                 "handsets": [[n for _, n in h] for h in handsets]})
    return SimCalls(int(seed), span, calls, switches.sort_values("old").reset_index(drop=True), people_frame)
