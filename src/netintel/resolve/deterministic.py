"""Deterministic matching on strong identifiers, in the spirit of the Prüm exchange.

A hit on a DNA profile reference, a fingerprint reference, a vehicle registration or an identity
document number (with its issuing country) joins two records outright; so does the same
normalised phone number, IBAN, e-mail, wallet address or address between identifier entities
(a phone reported by two agencies is one phone). For persons, phones, e-mails and accounts they
*use* are evidence for the probabilistic model, not an outright merge: two people can share a
phone.

Examples
--------
>>> import pandas as pd
>>> ents = pd.DataFrame({"entity_id": ["E1", "E2", "E3"], "kind": ["phone"] * 3,
...                      "country": ["NL", "BE", "NL"],
...                      "properties": [{"number": "06 12345678"}, {"number": "+31 6 1234 5678"},
...                                     {"number": "06 87654321"}]})
>>> keys = entity_keys(ents)
>>> identifier_pairs(keys)[["entity_a", "entity_b", "rule"]].values.tolist()
[['E1', 'E2', 'phone']]
"""

from __future__ import annotations

from typing import Any, Iterable

import pandas as pd

from ..model import default_model
from .normalize import fold, identifier_key, organisation_name

__all__ = ["entity_keys", "identifier_pairs", "linked_keys", "organisation_pairs", "STRONG_PERSON_KEYS",
           "IDENTIFIER_KINDS"]

#: Kinds whose records are one real-world thing whenever their normalised identifier is equal.
IDENTIFIER_KINDS = ("phone", "email", "bank_account", "crypto_wallet", "vehicle", "vessel", "address",
                    "identity_document", "domain", "ip_address", "url", "file", "malware", "location",
                    "attack_pattern", "vulnerability")

#: Key prefixes that join two person records outright (biometric references and documents).
STRONG_PERSON_KEYS = ("dna", "fingerprint", "document")


def _values(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, (list, tuple, set)):
        return [x for x in v if x not in (None, "")]
    if isinstance(v, float) and v != v:
        return []
    return [v] if str(v).strip() else []


def entity_keys(entities: pd.DataFrame) -> pd.DataFrame:
    """Normalised identifier keys of entity records: ``entity_id, kind, key, rule``.

    ``entities`` has ``entity_id, kind, properties`` (dicts) and ``country`` (the reporting
    agency's country). ``rule`` names the kind of identifier (``phone``, ``iban``, ``document``...).
    """
    model = default_model()
    rows = []
    for eid, kind, props, country in zip(entities["entity_id"], entities["kind"], entities["properties"],
                                         entities.get("country", pd.Series([None] * len(entities)))):
        props = props or {}
        if kind == "person":
            for prop, prefix in (("dna_ref", "dna"), ("fingerprint_ref", "fingerprint")):
                for v in _values(props.get(prop)):
                    rows.append((eid, kind, f"{prefix}:{fold(v).replace(' ', '')}", prefix))
            nat = (_values(props.get("nationality")) or [None])[0]
            for v in _values(props.get("id_number")):
                s = str(v).strip()
                issuer = s[:2].upper() if len(s) > 2 and s[:2].isalpha() else (nat or country)
                k = identifier_key("person", "id_number", s, country=issuer,
                                   properties={"issuing_country": props.get("issuing_country") or issuer})
                if k:
                    rows.append((eid, kind, k, "document"))
            continue
        try:
            spec = model.entity(kind)
            idprops = list(spec.identifiers)
        except Exception:
            idprops = []
        if kind == "organisation":
            idprops.append("id_number")  # registers written as a holder's document number
        for prop in idprops:
            for v in _values(props.get(prop)):
                k = identifier_key(kind, prop, v, country=country, properties=props)
                if k:
                    rows.append((eid, kind, k, k.split(":", 1)[0].split(".")[0]))
    out = pd.DataFrame(rows, columns=["entity_id", "kind", "key", "rule"]).drop_duplicates()
    return out.sort_values(["key", "entity_id"], kind="stable").reset_index(drop=True)


def identifier_pairs(keys: pd.DataFrame, *, kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """Record pairs that share a key: ``entity_a, entity_b, kind, rule, key``.

    Each group of records with one key gives a star from its smallest record id (enough to join
    them, without a quadratic number of pairs). Only records of the same kind pair up.
    """
    if kinds is not None:
        keys = keys[keys["kind"].isin(list(kinds))]
    cols = ["entity_a", "entity_b", "kind", "rule", "key"]
    k = keys.drop_duplicates(["kind", "key", "entity_id"]).sort_values(["kind", "key", "entity_id"], kind="stable")
    group = k.groupby(["kind", "key"], sort=False)
    first, rule = group["entity_id"].transform("first"), group["rule"].transform("first")
    star = (k["entity_id"] != first).to_numpy()
    out = pd.DataFrame({"entity_a": first[star].to_numpy(), "entity_b": k["entity_id"][star].to_numpy(),
                        "kind": k["kind"][star].to_numpy(), "rule": rule[star].to_numpy(),
                        "key": k["key"][star].to_numpy()}, columns=cols)
    return out.drop_duplicates(["entity_a", "entity_b"])


def linked_keys(entities: pd.DataFrame, links: pd.DataFrame, keys: pd.DataFrame,
                *, of_kinds: Iterable[str] = ("person", "organisation")) -> dict[str, list[str]]:
    """For each person (organisation) record, the identifier keys of the entities it is linked to.

    A person who ``uses`` a phone, ``owns`` an account or ``holds_document`` a passport gets that
    phone's, account's or document's normalised key.
    """
    of_kinds = set(of_kinds)
    kind_of = dict(zip(entities["entity_id"], entities["kind"]))
    keys_of: dict[str, list[str]] = {}
    for eid, key in zip(keys["entity_id"], keys["key"]):
        keys_of.setdefault(eid, []).append(key)
    out: dict[str, set[str]] = {}
    if links is None or links.empty:
        return {}
    for s, t in zip(links["source"], links["target"]):
        for a, b in ((s, t), (t, s)):
            if kind_of.get(a) in of_kinds and kind_of.get(b) in IDENTIFIER_KINDS and b in keys_of:
                out.setdefault(a, set()).update(keys_of[b])
    return {k: sorted(v) for k, v in out.items()}


def organisation_pairs(entities: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """Organisation records that are one organisation: same registration number (and
    jurisdiction), or the same name without legal form in one jurisdiction (a record without a
    jurisdiction joins when the others name a single one).

    A name joins nothing where the records that carry it are held, with what they are already
    joined to, under different registration numbers: two companies of one name and two numbers
    stay two, and a record of that name without a number belongs to neither. The groups are taken
    in name order, so a record with two names cannot chain two registers into one organisation.

    Returns ``entity_a, entity_b, kind, rule, key`` like :func:`identifier_pairs`.

    Examples
    --------
    >>> ents = pd.DataFrame({"entity_id": ["O1", "O2", "O3"], "kind": ["organisation"] * 3,
    ...                      "country": ["NL"] * 3,
    ...                      "properties": [{"name": "Acme B.V.", "registration_number": "12345678"},
    ...                                     {"name": "ACME BV", "registration_number": "87654321"},
    ...                                     {"name": "Acme BV"}]})
    >>> len(organisation_pairs(ents, entity_keys(ents)))
    0
    """
    orgs = entities[entities["kind"] == "organisation"]
    reg = identifier_pairs(keys, kinds=["organisation"])
    rows = list(reg.itertuples(index=False, name=None))
    # the organisations the identifiers already make, each with the registration numbers it holds
    # (the number alone: a register's jurisdiction may be only the reporting agency's country)
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    registers: dict[str, set[str]] = {}
    held = keys[(keys["kind"] == "organisation") & keys["key"].str.startswith("registration:")]
    for eid, key in zip(held["entity_id"], held["key"]):
        registers.setdefault(root(eid), set()).add(key.rsplit(":", 1)[1])

    def join(a: str, b: str) -> None:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[rb] = ra
            registers[ra] = registers.get(ra, set()) | registers.pop(rb, set())

    for a, b in zip(reg["entity_a"], reg["entity_b"]):
        join(a, b)
    by_name: dict[str, list[tuple[str, str | None]]] = {}
    for eid, props in zip(orgs["entity_id"], orgs["properties"]):
        props = props or {}
        jur = (_values(props.get("jurisdiction")) or _values(props.get("nationality")) or [None])[0]
        for v in _values(props.get("name")):
            key = organisation_name(v)
            if key:
                by_name.setdefault(key, []).append((eid, str(jur).upper() if jur else None))
    for key in sorted(by_name):
        # one name in one jurisdiction is one organisation; a record that gives no jurisdiction
        # joins only when the others agree on a single one
        members = sorted(set(by_name[key]))
        jurs = sorted({j for _, j in members if j})
        for jur in jurs or [None]:
            ids = sorted({e for e, j in members if j == jur or (j is None and len(jurs) <= 1)})
            if len(set().union(*(registers.get(root(e), set()) for e in ids))) > 1:
                continue
            for other in ids[1:]:
                join(ids[0], other)
                rows.append((ids[0], other, "organisation", "name", f"orgname:{jur or ''}:{key}"))
    return pd.DataFrame(rows, columns=["entity_a", "entity_b", "kind", "rule", "key"]).drop_duplicates(
        ["entity_a", "entity_b"]).reset_index(drop=True)
