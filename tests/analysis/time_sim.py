"""A small call-record simulator for the time analyses, independent of ``netintel.synth``.

Groups of people with stable contacts, some of whom change handsets (some with a few days of
overlap, some keeping only part of their contacts, one group changing all at once), among
background callers who come and go (people who leave, people who arrive, short-lived numbers,
misdials). Truth: which number replaced which.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

START = pd.Timestamp("2025-03-03")


@dataclass
class SimCDR:
    calls: pd.DataFrame  # source, target, time, duration, place
    switches: pd.DataFrame  # person, old, new, time
    leavers: list[str]  # numbers that go silent without a successor
    groups: dict[int, list[int]]


def simulate(seed: int, *, n_groups: int = 4, group_size: int = 8, n_background: int = 250, days: int = 180,
             switch_share: float = 0.4, group_switch: bool = True, observed: str = "all") -> SimCDR:
    """Simulate call records. ``observed='targets'`` keeps only calls touching a group member (a
    warrant on the targets' lines), as real case files do."""
    rng = np.random.default_rng(seed)
    n_people = n_groups * group_size + n_background
    serial = iter(rng.permutation(9_000_000)[: n_people * 3 + 500] + 1_000_000)

    def number() -> str:
        return f"+4475{next(serial):07d}"

    phones = {p: [(number(), 0.0)] for p in range(n_people)}  # (number, from day)
    groups = {g: list(range(g * group_size, (g + 1) * group_size)) for g in range(n_groups)}
    group_of = {p: g for g, ms in groups.items() for p in ms}
    background = list(range(n_groups * group_size, n_people))
    # life of each person on the network: some leave, some arrive
    alive_from = np.zeros(n_people)
    alive_to = np.full(n_people, float(days))
    for p in background:
        u = rng.random()
        if u < 0.12:
            alive_to[p] = rng.uniform(20, days - 20)
        elif u < 0.24:
            alive_from[p] = rng.uniform(20, days - 20)
    ties: dict[tuple[int, int], float] = {}

    def tie(a: int, b: int, rate: float) -> None:
        if a != b:
            ties[(min(a, b), max(a, b))] = rate

    for g, ms in groups.items():
        for i, a in enumerate(ms):
            for b in ms[i + 1:]:
                if rng.random() < 0.6:
                    tie(a, b, rng.lognormal(np.log(0.25), 0.7))
        for a in ms:  # family and friends outside the group
            for b in rng.choice(background, size=rng.integers(3, 9), replace=False):
                tie(a, int(b), rng.lognormal(np.log(0.1), 0.8))
    for a in background:
        for b in rng.choice(background, size=rng.integers(2, 7), replace=False):
            tie(a, int(b), rng.lognormal(np.log(0.08), 0.8))
    # a switchboard everybody calls now and then (a taxi firm, a pizzeria)
    hub = background[0]
    for a in rng.choice(n_people, size=n_people // 3, replace=False):
        tie(int(a), hub, 0.01)

    peak = rng.normal(15, 3, size=n_people)
    cells = {p: [f"cell-{int(c)}" for c in rng.integers(0, 400, size=rng.integers(1, 4))] for p in range(n_people)}

    # switches
    switch_rows = []
    keep_share = {}
    members = [m for ms in groups.values() for m in ms]
    switchers = set(int(m) for m in rng.choice(members, size=int(len(members) * switch_share), replace=False))
    group_day = {}
    if group_switch:
        g = n_groups - 1
        switchers |= set(groups[g])
        group_day[g] = rng.uniform(60, 120)
    overlap = {}
    for p in sorted(switchers):
        g = group_of[p]
        day = group_day.get(g, rng.uniform(40, 140)) + (rng.uniform(0, 1.5) if g in group_day else 0)
        new = number()
        phones[p].append((new, day))
        overlap[p] = rng.uniform(0, 3) if rng.random() < 0.3 else 0.0
        keep_share[p] = 0.6 if rng.random() < 0.4 else 1.0
        switch_rows.append({"person": p, "old": phones[p][0][0], "new": new, "time": START + pd.Timedelta(days=day)})

    old_num = np.array([phones[p][0][0] for p in range(n_people)], dtype=object)
    new_num = np.array([phones[p][-1][0] for p in range(n_people)], dtype=object)
    switch_day = np.array([phones[p][1][1] if len(phones[p]) > 1 else np.inf for p in range(n_people)])
    overlap_days = np.array([overlap.get(p, 0.0) for p in range(n_people)])

    def number_at(p: np.ndarray, day: np.ndarray) -> np.ndarray:
        use_new = day >= switch_day[p]
        # both handsets in use for a few days after some switches
        both = use_new & (day < switch_day[p] + overlap_days[p]) & (rng.random(len(p)) < 0.5)
        return np.where(use_new & ~both, new_num[p], old_num[p])

    dropped = {(p, c) for p in sorted(switchers) for c in range(n_people)
               if keep_share[p] < 1 and rng.random() > keep_share[p]}
    pairs = sorted(ties)
    ta = np.array([a for a, _ in pairs])
    tb = np.array([b for _, b in pairs])
    rate = np.array([ties[k] for k in pairs])
    lo = np.maximum(alive_from[ta], alive_from[tb])
    hi = np.minimum(alive_to[ta], alive_to[tb])
    k = rng.poisson(rate * np.clip(hi - lo, 0, None))
    idx = np.repeat(np.arange(len(pairs)), k)
    day = lo[idx] + rng.random(len(idx)) * (hi - lo)[idx]
    flip = rng.random(len(idx)) < 0.5
    caller = np.where(flip, tb[idx], ta[idx])
    callee = np.where(flip, ta[idx], tb[idx])
    keep = np.ones(len(idx), dtype=bool)
    for i in np.flatnonzero((day >= switch_day[caller]) | (day >= switch_day[callee])):
        a, b = caller[i], callee[i]
        if (day[i] >= switch_day[a] and (a, b) in dropped) or (day[i] >= switch_day[b] and (b, a) in dropped):
            keep[i] = False
    caller, callee, day = caller[keep], callee[keep], day[keep]
    hour = np.clip(rng.normal(peak[caller], 3), 0, 23.99).astype(int)
    minute = rng.integers(0, 60, size=len(day))
    times = START + pd.to_timedelta(np.floor(day) * 86400 + hour * 3600 + minute * 60, unit="s")
    pick = rng.random(len(day))
    place = np.array([cells[c][int(u * len(cells[c]))] for c, u in zip(caller, pick)], dtype=object)
    place[rng.random(len(day)) < 0.1] = None
    rows = list(zip(number_at(caller, day), number_at(callee, day), times, rng.lognormal(4, 1, len(day)).astype(int),
                    place))
    # short-lived numbers and misdials
    everyone = [p for p in range(n_people)]
    for _ in range(150):
        burner = number()
        day0 = rng.uniform(0, days - 5)
        for _ in range(rng.integers(1, 6)):
            p = int(rng.choice(everyone))
            day = day0 + rng.uniform(0, 5)
            t = START + pd.Timedelta(days=int(day), hours=int(rng.integers(7, 23)))
            rows.append((burner, number_at(np.array([p]), np.array([day]))[0], t, int(rng.integers(5, 120)), None))
    calls = pd.DataFrame(rows, columns=["source", "target", "time", "duration", "place"])
    if observed == "targets":
        watched = {num for m in members for num, _ in phones[m]}
        calls = calls[calls["source"].isin(watched) | calls["target"].isin(watched)]
    calls = calls.sort_values(["time", "source", "target"], kind="stable").reset_index(drop=True)
    leavers = [phones[p][0][0] for p in background if alive_to[p] < days - 20]
    return SimCDR(calls, pd.DataFrame(switch_rows), leavers, groups)


@lru_cache(maxsize=2)
def generated_workspace(seed: int = 5, scale: float = 0.3):
    """A case from ``netintel.synth`` written to a temporary folder and ingested (cached per session)."""
    import tempfile

    from netintel import Workspace
    from netintel.ingest import ingest
    from netintel.synth.case import generate_case

    case = generate_case(seed=seed, scale=scale)
    folder = tempfile.mkdtemp(prefix="netintel-time-")
    case.write(folder)
    ws = Workspace()
    ingest(ws, folder, progress=False)
    return ws, case


def workspace_from(calls: pd.DataFrame, *, users: dict[str, list[str]] | None = None,
                   sightings: pd.DataFrame | None = None, agency: str = "Test Police", country: str = "NL",
                   handling: str = "TLP:AMBER"):
    """A workspace holding ``calls`` (source, target, time, optional place/duration) as call events
    between phone entities, persons who use phones (``users``: name -> numbers) and sightings
    (``entity`` number, ``time``, ``place``). Returns (workspace, number -> resolved id)."""
    from netintel import Workspace
    from netintel.ingest._common import BatchBuilder, Provenance

    builder = BatchBuilder(f"{agency}-calls.csv", format="events", sha256="0" * 64,
                           provenance=Provenance(agency=agency, country=country, grading="B2", handling=handling))
    ids: dict[str, str] = {}

    def phone(number: str, locator: str) -> str:
        ids[number] = builder.identifier("phone", number, locator=locator, prop="number")
        return ids[number]

    for i, row in enumerate(calls.itertuples(index=False)):
        loc = f"line {i + 2}"
        builder.read()
        a, b = phone(row.source, loc), phone(row.target, loc)
        builder.event("call", a, b, pd.Timestamp(row.time).to_pydatetime(), locator=loc,
                      duration=float(getattr(row, "duration", 60) or 60), place=getattr(row, "place", None))
        builder.accept(loc)
    for name, numbers in (users or {}).items():
        loc = f"person {name}"
        builder.read()
        pid = builder.entity("person", name, {"name": name}, locator=loc)
        ids[name] = pid
        for number in numbers:
            builder.link("uses", pid, phone(number, loc), locator=loc)
        builder.accept(loc)
    if sightings is not None:
        for i, row in enumerate(sightings.itertuples(index=False)):
            loc = f"sighting {i}"
            builder.read()
            builder.event("sighting", phone(row.entity, loc), None, pd.Timestamp(row.time).to_pydatetime(),
                          locator=loc, place=row.place)
            builder.accept(loc)
    ws = Workspace()
    ws.write_import(builder.finish())
    return ws, ids
