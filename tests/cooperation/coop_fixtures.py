"""Random multi-agency cases for the cooperation tests, and the releasability rules applied independently."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from netintel.handling import canonical_handling, default_releasable, may_receive
from netintel.ingest._common import BatchBuilder, Provenance
from netintel.workspace import Workspace

AGENCIES = [("Agency NL", "NL"), ("Agency DE", "DE"), ("Agency BE", "BE"), ("Agency FR", "FR")]
HANDLING = ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED", "H0", "H1", "H2", "H3"]
# Phone numbers drawn from a small pool so that agencies share some of them.
PHONES = ["+31612345670", "+31612345671", "+4915112345670", "+32470111220", "+33612345670", "+4915112345671"]
IBANS = ["NL91ABNA0417164300", "DE89370400440532013000", "BE71096123456769", "FR1420041010050500013M02606"]


releasability = st.one_of(
    st.just([]), st.just(["PARTNERS"]), st.just(["*"]),
    st.lists(st.sampled_from(["NL", "DE", "BE", "FR", "US", "PARTNERS"]), max_size=3, unique=True))


@st.composite
def case_specs(draw) -> dict[str, Any]:
    """A random case: 2-4 agencies, each with persons, phones, accounts, relations, calls and payments,
    every record with its own random handling and releasability."""
    n_agencies = draw(st.integers(2, 4))
    agencies = draw(st.permutations(AGENCIES))[:n_agencies]
    spec = []
    for agency, country in agencies:
        persons = draw(st.integers(1, 4))
        phones = draw(st.lists(st.sampled_from(PHONES), max_size=3, unique=True))
        accounts = draw(st.lists(st.sampled_from(IBANS), max_size=2, unique=True))
        n_ent = persons + len(phones) + len(accounts)
        prov = [(draw(st.sampled_from(HANDLING)), draw(releasability)) for _ in range(n_ent)]
        links = draw(st.lists(st.tuples(st.integers(0, n_ent - 1), st.integers(0, n_ent - 1),
                                        st.sampled_from(["uses", "owns", "associate_of", "call", "transfer"]),
                                        st.sampled_from(HANDLING), releasability), max_size=8))
        spec.append({"agency": agency, "country": country, "persons": persons, "phones": phones,
                     "accounts": accounts, "prov": prov, "links": links,
                     "nationality": draw(st.lists(st.sampled_from(["NL", "DE", "TR", "BE", "AL"]), min_size=persons,
                                                  max_size=persons))})
    return {"agencies": spec}


def build_workspace(spec: dict[str, Any], *, only_for: str | None = None, path: Any = None) -> Workspace:
    """Write a random case into a workspace (in memory unless ``path``) with the batch builder, as an
    ingest would.

    ``only_for``: write only the records that country may receive, decided here record by record
    from the spec with the handling rules (a link or event is left out when an end is), and leave
    out an agency none of whose records it may receive: the case as it would be had the partners
    shared with that country alone — the reference the non-interference tests compare against.
    """
    ws = Workspace(path, actor="test")
    t0 = datetime(2026, 3, 1)
    partners = {a["country"] for a in spec["agencies"]}

    def kept(country: str, handling: str, rel: list[str]) -> bool:
        if only_for is None:
            return True
        return may_receive(only_for, origin=country, handling=handling,
                           releasable_to=rel or default_releasable(handling, country), partners=partners)

    for a in spec["agencies"]:
        prov_of = [(canonical_handling(h), rel) for h, rel in a["prov"]]
        n_kept = sum(kept(a["country"], h, rel) for h, rel in prov_of)
        if only_for is not None and n_kept == 0 and a["country"] != only_for:
            continue
        b = BatchBuilder(a.get("file", f"{a['country'].lower()}.csv"), format="table", sha256="0" * 64,
                         keep_raw=False, provenance=Provenance(a["agency"], a["country"], grading="B2"))
        ids: list[Any] = []
        i = 0
        names = a.get("names") or [f"Person {a['country']}{p} Zq{{i}}" for p in range(a["persons"])]
        for p in range(a["persons"]):
            h, rel = a["prov"][i]
            ids.append(b.entity("person", f"P{p}", {"name": names[p].format(i=i), "nationality": a["nationality"][p]},
                                locator=f"row {i}", prov=b.provenance(handling=h, releasable_to=rel or None))
                       if kept(a["country"], prov_of[i][0], rel) else None)
            i += 1
        for number in a["phones"]:
            h, rel = a["prov"][i]
            ids.append(b.identifier("phone", number, locator=f"row {i}",
                                    prov=b.provenance(handling=h, releasable_to=rel or None))
                       if kept(a["country"], prov_of[i][0], rel) else None)
            i += 1
        for iban in a["accounts"]:
            h, rel = a["prov"][i]
            ids.append(b.identifier("bank_account", iban, locator=f"row {i}",
                                    prov=b.provenance(handling=h, releasable_to=rel or None))
                       if kept(a["country"], prov_of[i][0], rel) else None)
            i += 1
        for j, (s, t, kind, h, rel) in enumerate(a["links"]):
            if s == t or ids[s] is None or ids[t] is None or not kept(a["country"], canonical_handling(h), rel):
                continue
            prov = b.provenance(handling=h, releasable_to=rel or None)
            if kind in ("call", "transfer"):
                b.event(kind, ids[s], ids[t], t0 + timedelta(hours=j), locator=f"ev {j}", prov=prov,
                        amount=1000.0 * (j + 1) if kind == "transfer" else None,
                        currency="EUR" if kind == "transfer" else None)
            else:
                b.link(kind, ids[s], ids[t], locator=f"rel {j}", prov=prov, source_record_id=f"rel-{j}")
        batch = b.finish()
        # one row read and accepted per distinct locator written (what a file of these records holds)
        batch.n_read = batch.n_accepted = len({r.get("locator") for part in (batch.entities, batch.links,
                                                                           batch.events) for r in part})
        ws.write_import(batch)
    return ws


def releasable_ids(ws: Workspace, recipient: str) -> set[str]:
    """Record ids with at least one row ``recipient`` may receive — computed here from the raw tables
    with the handling rules, independently of the code under test."""
    partners = {r[0] for r in ws.con.execute("SELECT DISTINCT country FROM sources").fetchall()}
    ok = set()
    for table, key in (("entities", "entity_id"), ("links", "link_id"), ("events", "event_id")):
        for rid, origin, handling, rel in ws.con.execute(
                f"SELECT {key}, country, handling, releasable_to FROM {table}").fetchall():
            if may_receive(recipient, origin=origin, handling=handling, releasable_to=list(rel or []),
                           partners=partners):
                ok.add(rid)
    return ok


def secrets_for(ws: Workspace, recipient: str) -> set[str]:
    """Values (labels, ids) that occur only in records ``recipient`` may not receive."""
    ok = releasable_ids(ws, recipient)
    seen_ok, seen_not = set(), set()
    for rid, label in ws.con.execute("SELECT entity_id, label FROM entities").fetchall():
        (seen_ok if rid in ok else seen_not).update({rid, label})
    for table, key in (("links", "link_id"), ("events", "event_id")):
        for (rid,) in ws.con.execute(f"SELECT {key} FROM {table}").fetchall():
            (seen_ok if rid in ok else seen_not).add(rid)
    return {s for s in seen_not - seen_ok if s}
