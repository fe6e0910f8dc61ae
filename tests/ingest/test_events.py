"""Call records and transactions: events aggregated into links, times in every export form."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis_profiles import examples
from ingest_fixtures import CDR_CSV, blank_line, write

from netintel.errors import MappingError
from netintel.ingest import ingest
from netintel.ingest._common import BatchBuilder, Provenance
from netintel.ingest.events import load_events
from netintel.workspace import record_id

AGENCY = "KPN warrant"
A, B1, B2 = "+31612345678", "+32470000001", "+32470000002"


def _ingest(ws, path, **kw):
    return ingest(ws, [path], agency=AGENCY, country="NL", progress=False, **kw)


def phone(number: str) -> str:
    return record_id("E", AGENCY, f"phone:{number}")


def test_call_records_become_events_and_aggregated_links(ws, cdr):
    report = _ingest(ws, cdr)
    row = report.sources.iloc[0]
    assert (row.format, row.read, row.accepted, row.quarantined) == ("events", 7, 4, 3)
    assert (row.entities, row.links, row.events) == (3, 2, 4)
    assert set(ws.entities().entity_id) == {phone(A), phone(B1), phone(B2)}
    links = ws.links().set_index("target")
    ab = links.loc[phone(B1)]
    assert (ab.kind, ab.source, ab["count"], ab.weight) == ("call", phone(A), 3, 3.0)
    # ISO 8601, "20260601 0010" and "01/06/2026 00:20" are one day's calls
    assert (ab.first_seen, ab.last_seen) == (pd.Timestamp("2026-06-01 00:08"), pd.Timestamp("2026-06-01 00:20"))
    assert ab.properties == {"total_duration": 65 + 125 + 10}
    # epoch seconds
    assert links.loc[phone(B2), "first_seen"] == pd.Timestamp("2026-06-01 00:30")
    events = ws.events().sort_values("time")
    assert list(events.place) == ["NL-AMS-01", "NL-AMS-01", "NL-AMS-02", "BE-ANT-07"]
    assert set(events.link_id) == set(ws.links().link_id)
    q = report.quarantine.set_index("locator").reason
    assert "callee is missing" in q["line 6"] or "callee" in q["line 6"]
    assert "2026-13-45" in q["line 7"] and "--time-format" in q["line 7"]
    assert "five" in q["line 8"]


def test_columns_named_inline_and_time_format(ws, tmp_path):
    path = write(tmp_path, "tap.csv", "A_NR;B_NR;DATUM;DUUR\n0612;0613;01062026 0008;12\n0612;0613;02062026 0910;3\n")
    report = _ingest(ws, path, inline_map=["caller=A_NR", "callee=B_NR", "start=DATUM", "duration=DUUR"],
                     time_format="%d%m%Y %H%M")
    assert report.sources.iloc[0].accepted == 2
    link = ws.links().iloc[0]
    assert (link.first_seen, link.last_seen) == (pd.Timestamp("2026-06-01 00:08"), pd.Timestamp("2026-06-02 09:10"))


def test_mapping_columns_block(ws, tmp_path):
    path = write(tmp_path, "tx.csv", "VAN,NAAR,BEDRAG,MUNT,DATUM\nNL91ABNA0417164300,NL20INGB0001234567,10,EUR,"
                                     "2026-01-01\n")
    write(tmp_path, "tx.mapping.yaml", "format: events\nevent: transfer\ncolumns: {from_account: VAN, "
                                       "to_account: NAAR, amount: BEDRAG, currency: MUNT, time: DATUM}\n")
    report = _ingest(ws, path)
    assert (report.sources.iloc[0].format, report.sources.iloc[0].events) == ("events", 1)


def test_missing_required_column_names_the_field_and_file(ws, tmp_path):
    path = write(tmp_path, "tap.csv", "A_NR,B_NR,WHEN\n1,2,2026-01-01\n")
    with pytest.raises(MappingError) as err:
        _ingest(ws, path, inline_map=["caller=A_NR", "callee=B_NR"])
    assert "tap.csv" in str(err.value) and "start" in str(err.value) and "--map start=COLUMN" in str(err.value)


def test_transactions_sum_amounts_and_recognise_wallets(ws, transactions):
    report = _ingest(ws, transactions)
    row = report.sources.iloc[0]
    assert (row.read, row.accepted, row.quarantined, row.entities, row.links, row.events) == (5, 3, 2, 3, 2, 3)
    kinds = dict(zip(ws.entities().source_record_id, ws.entities().kind))
    assert kinds == {"NL91ABNA0417164300": "bank_account", "BE68539007547034": "bank_account",
                     "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq": "crypto_wallet"}
    links = ws.links().set_index("currency")
    assert links.loc["EUR", "amount"] == pytest.approx(1500.00 + 2500.50)
    assert links.loc["EUR", "count"] == 2
    assert links.loc["BTC", "amount"] == pytest.approx(0.25)
    # "2026-05-04T12:00:00Z" is UTC already
    assert ws.events().set_index("currency").loc["BTC", "time"] == pd.Timestamp("2026-05-04 12:00")
    q = report.quarantine.set_index("locator").reason
    assert "'lots' is not a number" in q["line 5"]
    assert "EURO!" in q["line 6"]


@pytest.mark.parametrize("text", ["2006-06-01T00:08:00", "20060601 0008", "01/06/2006 00:08", "1149120480",
                                  "2006-06-01T02:08:00+02:00"])
def test_every_export_time_form(tmp_path, text):
    path = write(tmp_path, "one.csv", f"caller,callee,start\n1,2,{text}\n")
    builder = BatchBuilder(path, format="events", provenance=Provenance("A", "NL"))
    load_events(path, builder)
    assert builder.finish().events[0]["time"] == datetime(2006, 6, 1, 0, 8)


_cell = st.one_of(st.sampled_from(["+31612345678", "+32470000001", "", "2026-06-01", "20260601 0008", "31/02/2026",
                                   "99", "-5", "1:02", "x", "1780273800"]),
                  st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
                          max_size=6))


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_cell, min_size=0, max_size=7), max_size=25))
def test_read_is_accepted_plus_quarantined_for_any_call_rows(tmp_path, rows):
    buf = io.StringIO()
    buf.write("caller,callee,start,duration,cell\r\n")
    csv.writer(buf).writerows(rows)
    path = write(tmp_path, "prop.csv", buf.getvalue().encode("utf-8"))
    builder = BatchBuilder(path, format="events", provenance=Provenance("A", "NL"))
    load_events(path, builder)
    batch = builder.finish()
    assert batch.n_read == sum(1 for r in rows if not blank_line(r))
    assert batch.n_read == batch.n_accepted + batch.n_quarantined
    assert len(batch.events) == batch.n_accepted
