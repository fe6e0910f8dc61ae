"""Collective resolution: a name-only person record joins a fuller one when their networks agree.

A CERT's STIX bundle names the individuals behind a threat actor (``identity`` with
``identity_class: individual``) by name alone: no birth date, no document, no phone. The person
model cannot merge such a record with a police record of the same name (a name is not enough),
so a crew's members stay apart from the police subjects they are. Collective resolution looks
at the network around both records: the entities each is linked to (phones, accounts, threat
actors, organisations) and the persons linked through a group (co-members, co-attributed
individuals). Two records whose names agree join when at least :data:`MIN_AGREEING_NEIGHBOURS`
of their neighbours agree: the same resolved entity, or two neighbours whose names agree too
(which is how three co-attributed individuals and three associated police subjects confirm
one another). Such merges are weaker than the model's: method ``collective``, probability
:data:`COLLECTIVE_PROBABILITY`, and the neighbours that agreed listed as evidence.

Examples
--------
>>> pairs = pd.DataFrame({"entity_a": ["S1", "S2", "S1"], "entity_b": ["P1", "P2", "X9"]})
>>> neighbours = {"S1": {"S2", "T"}, "S2": {"S1", "T"}, "P1": {"P2", "ph"}, "P2": {"P1", "ph"}, "X9": set()}
>>> agreeing_pairs(pairs, neighbours, {}, min_agreeing=1)[["entity_a", "entity_b", "neighbours"]].values.tolist()
[['S1', 'P1', ['S2 ~ P2']], ['S2', 'P2', ['S1 ~ P1']]]
"""

from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

__all__ = ["COLLECTIVE_PROBABILITY", "MIN_AGREEING_NEIGHBOURS", "GROUP_KINDS", "NAME_AGREES", "name_only",
           "neighbourhoods", "agreeing_pairs"]

#: Neighbours that must agree before two records join on their names.
MIN_AGREEING_NEIGHBOURS = 2
#: The probability a collective merge is stored with: weaker than any model merge it stands beside.
COLLECTIVE_PROBABILITY = 0.75
#: Entity kinds that stand for a group: persons linked to one are each other's co-members.
GROUP_KINDS = ("threat_actor", "organisation", "campaign", "intrusion_set")
#: Levels of the person model's name comparison at which two names agree for collective resolution.
NAME_AGREES = ("exact", "same with given-name variants", "same skeleton (transliteration)", "jaro-winkler >= 0.94")


def name_only(features: pd.DataFrame) -> pd.Series:
    """Person records with a name and nothing else to compare (no birth date, document, phone,
    e-mail or account): the records the person model cannot merge on their own."""
    empty = features["documents"].map(len).eq(0) & features["phones"].map(len).eq(0) \
        & features["emails"].map(len).eq(0) & features["accounts"].map(len).eq(0)
    return pd.Series((features["name_canon"].notna() & features["dob_y"].isna() & empty).to_numpy(),
                     index=features["unique_id"].to_numpy())


def neighbourhoods(links: pd.DataFrame, kind_of: Mapping[str, str], resolved: Mapping[str, str],
                   persons: Iterable[str]) -> dict[str, set[str]]:
    """For each person record: its neighbours as resolved ids (linked entities), plus the person
    records reached through a group entity (co-members), kept as record ids.

    Person neighbours are record ids so that two name-only co-members can confirm each other
    before either is resolved; other neighbours are resolved ids (one phone reported twice is one).
    """
    persons = set(persons)
    adjacent: dict[str, set[str]] = {}
    if links is not None and len(links):
        for s, t in zip(links["source"], links["target"]):
            if s == t:
                continue
            adjacent.setdefault(s, set()).add(t)
            adjacent.setdefault(t, set()).add(s)
    out: dict[str, set[str]] = {}
    for p in persons:
        hood: set[str] = set()
        for n in adjacent.get(p, ()):
            if kind_of.get(n) == "person":
                hood.add(n)
                continue
            hood.add(resolved.get(n, n))
            if kind_of.get(n) in GROUP_KINDS:
                hood.update(m for m in adjacent.get(n, ()) if m != p and kind_of.get(m) == "person")
        out[p] = hood
    return out


def agreeing_pairs(candidates: pd.DataFrame, neighbours: Mapping[str, set[str]], resolved: Mapping[str, str], *,
                   min_agreeing: int = MIN_AGREEING_NEIGHBOURS) -> pd.DataFrame:
    """Candidate pairs (``entity_a, entity_b``: names agree) whose neighbourhoods agree.

    A neighbour of one agrees with a neighbour of the other when both are the same resolved
    entity, or when the two are themselves a candidate pair or one resolved person. Returns the
    pairs with at least ``min_agreeing`` agreeing neighbours and ``neighbours``: what agreed
    (``x ~ y``, or ``x`` when shared), sorted.
    """
    cols = ["entity_a", "entity_b", "neighbours"]
    if candidates is None or not len(candidates):
        return pd.DataFrame(columns=cols)
    named = {(a, b) for a, b in zip(candidates["entity_a"], candidates["entity_b"])}
    named |= {(b, a) for a, b in named}

    def same(x: str, y: str) -> bool:
        return x == y or (x, y) in named or resolved.get(x, x) == resolved.get(y, y)

    rows = []
    for a, b in zip(candidates["entity_a"], candidates["entity_b"]):
        na, nb = neighbours.get(a, set()) - {b}, neighbours.get(b, set()) - {a}
        agreed, used = [], set()
        for x in sorted(na):
            for y in sorted(nb):
                if y not in used and same(x, y):
                    agreed.append(x if x == y else f"{x} ~ {y}")
                    used.add(y)
                    break
        if len(agreed) >= min_agreeing:
            rows.append((a, b, agreed))
    return pd.DataFrame(rows, columns=cols)
