"""A tiny hand-made case for the examples and tests of :mod:`netintel.cooperation`.

Three partners (fictional):

- ``Politie NL`` (NL, TLP:AMBER, releasable to partners, graded B2): Jan de Vries (NL) and Ali Kaya
  (TR) with their phones +31 6 12345678 and +32 470 11 12 22; three calls NL phone -> BE phone; an
  association Jan–Ali marked TLP:AMBER+STRICT (NL only), graded C3.
- ``Police BE`` (BE, H1, graded A2): Marc Peeters (BE) uses +32 470 11 12 22 and owns account
  BE71 0961 2345 6769, which paid 30,000 and 20,000 EUR to DE89 3704 0044 0532 0130 00.
- ``BKA`` (DE, TLP:RED, graded B3): the German account belongs to Nordhandel GmbH (DE).

Resolution joins the two records of +32 470 11 12 22 (NL's and BE's) and the two of the German
account (BE's and DE's).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from ..ingest._common import BatchBuilder, Provenance
from ..workspace import Workspace

__all__ = ["demo_workspace", "DEMO_IDS"]

DEMO_IDS: dict[str, str] = {}


def _builder(name: str, prov: Provenance) -> BatchBuilder:
    return BatchBuilder(name, format="table", provenance=prov, sha256="0" * 64, keep_raw=False)


def demo_workspace(path: str | Path | None = None, *, reported: date | None = None) -> Workspace:
    """The demo case in a workspace (in memory unless ``path`` is given; see the module docs).

    ``reported`` dates every record (and so gives it a review date); None leaves them undated.
    """
    ws = Workspace(path, actor="demo")
    rep = reported
    nl = _builder("nl_persons.csv", Provenance("Politie NL", "NL", grading="B2", handling="TLP:AMBER",
                                                releasable_to=("PARTNERS",), reported=rep))
    jan = nl.entity("person", "P1", {"name": "Jan de Vries", "nationality": "NL", "country": "NL"}, locator="row 1")
    ali = nl.entity("person", "P2", {"name": "Ali Kaya", "nationality": "TR"}, locator="row 2")
    ph_nl = nl.identifier("phone", "+31612345678", locator="row 1")
    ph_be_nl = nl.identifier("phone", "+32470111222", locator="row 2")
    nl.link("uses", jan, ph_nl, locator="row 1")
    nl.link("uses", ali, ph_be_nl, locator="row 2")
    strict = nl.provenance(handling="TLP:AMBER+STRICT", grading="C3", releasable_to=["NL"])
    nl.link("associate_of", jan, ali, locator="row 3", prov=strict)
    for i, t in enumerate(("2026-03-01 10:00", "2026-03-02 11:30", "2026-03-09 09:15"), start=1):
        nl.event("call", ph_nl, ph_be_nl, datetime.fromisoformat(t), locator=f"cdr {i}", duration=60.0 * i)
    nl.read(6)
    for i in range(6):
        nl.accept(f"row {i + 1}")
    ws.write_import(nl.finish())

    be = _builder("be_fiu.csv", Provenance("Police BE", "BE", grading="A2", handling="H1", reported=rep))
    marc = be.entity("person", "B-7", {"name": "Marc Peeters", "nationality": "BE", "country": "BE"}, locator="row 1")
    ph_be = be.identifier("phone", "+32470111222", locator="row 1")
    acc_be = be.identifier("bank_account", "BE71096123456769", locator="row 2")
    acc_de_be = be.identifier("bank_account", "DE89370400440532013000", locator="tx 1")
    be.link("uses", marc, ph_be, locator="row 1")
    be.link("owns", marc, acc_be, locator="row 2")
    be.event("transfer", acc_be, acc_de_be, datetime(2026, 3, 3, 12, 0), locator="tx 1", amount=30000.0,
             currency="EUR")
    be.event("transfer", acc_be, acc_de_be, datetime(2026, 3, 10, 12, 0), locator="tx 2", amount=20000.0,
             currency="EUR")
    be.read(4)
    for i in range(4):
        be.accept(f"row {i + 1}")
    ws.write_import(be.finish())

    de = _builder("de_register.csv", Provenance("BKA", "DE", grading="B3", handling="TLP:RED", reported=rep))
    acc_de = de.identifier("bank_account", "DE89370400440532013000", locator="row 1",
                           extra={"holder": "Nordhandel GmbH"})
    org = de.entity("organisation", "HRB 4711", {"name": "Nordhandel GmbH", "jurisdiction": "DE",
                                                 "registration_number": "HRB 4711"}, locator="row 1")
    de.link("owns", org, acc_de, locator="row 1")
    de.read(1)
    de.accept("row 1")
    ws.write_import(de.finish())

    ws.execute("CREATE TABLE IF NOT EXISTS resolution (entity_id VARCHAR, resolved_id VARCHAR, method VARCHAR, "
               "run_at TIMESTAMP)")
    pairs = [(ph_be_nl, "N-phone-be"), (ph_be, "N-phone-be"), (acc_de_be, "N-account-de"), (acc_de, "N-account-de")]
    for eid, nid in pairs:
        ws.execute("INSERT INTO resolution VALUES (?, ?, 'demo', TIMESTAMP '2026-11-29 00:00:00')", [eid, nid])
    DEMO_IDS.update({"jan": jan, "ali": ali, "marc": marc, "phone_nl": ph_nl, "phone_be": "N-phone-be",
                     "account_be": acc_be, "account_de": "N-account-de", "nordhandel": org})
    return ws
