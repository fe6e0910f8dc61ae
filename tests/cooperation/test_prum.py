"""Prüm-style exchange: hit / no-hit within what the asking country may receive, then the request.

The canary test is self-contained (it can be folded into a general canary harness later): strings
that exist only in records the asking country may not receive must never reach it, in any form
the answer or the follow-up request takes.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from netintel import Workspace
from netintel.cooperation.prum import ANSWER_COLUMNS, PrumAnswer, follow_up, hit_no_hit, hit_no_hit_encoded, read_queries
from netintel.errors import InputError, NetintelError
from netintel.ingest._common import BatchBuilder, Provenance
from netintel.resolve.pprl import encode

CANARIES = ["Qwyzzel", "Canary-7F3A", "CANREC-0042", "+32470998877", "BE68539007547034", "Vorkwise"]


def _source(ws, agency, country, handling, releasable_to, records):
    b = BatchBuilder(f"{country}.csv", format="table", sha256=country * 32, keep_raw=False,
                     provenance=Provenance(agency, country, grading="B2", handling=handling,
                                           releasable_to=tuple(releasable_to) if releasable_to else None))
    for i, (rid, props, phone) in enumerate(records, start=2):
        person = b.entity("person", rid, props, locator=f"line {i}")
        if phone:
            b.link("uses", person, b.identifier("phone", phone, locator=f"line {i}"), locator=f"line {i}")
        b.read(1)
        b.accept(f"line {i}")
    ws.write_import(b.finish())


@pytest.fixture()
def case():
    ws = Workspace()
    _source(ws, "Politie NL", "NL", "TLP:AMBER", ["PARTNERS"],
            [("NL-1", {"first_name": "Jan", "last_name": "Jansen", "birth_date": "1980-05-01"}, "+31612345678")])
    # BE shares with nobody but itself; DE marks RED: both hold the canaries
    _source(ws, "Police BE", "BE", "TLP:AMBER", ["BE"],
            [("CANREC-0042", {"first_name": "Jan", "last_name": "Jansen", "alias": "Qwyzzel Vorkwise",
                              "birth_date": "1980-05-01", "id_number": "Canary-7F3A"}, "+32470998877")])
    _source(ws, "BKA", "DE", "TLP:RED", None,
            [("DE-9", {"name": "Qwyzzel Vorkwise", "iban": "BE68539007547034"}, "+32470998877")])
    _source(ws, "Policia ES", "ES", "TLP:AMBER", ["PARTNERS"], [])
    yield ws
    ws.close()


def _everything_sent(answer: PrumAnswer, requests: dict, tmp_path) -> str:
    parts = [repr(answer), answer._repr_html_(), json.dumps(answer.to_dict(), default=str),
             answer.to_csv(tmp_path / "answer.csv").read_text(encoding="utf-8")]
    for annex in requests.values():
        parts += [annex.markdown, annex.html, repr(annex), json.dumps(annex.to_dict(), default=str)]
    return "\n".join(parts)


def test_canaries_never_reach_a_country_that_may_not_receive_them(case, tmp_path):
    queries = pd.DataFrame({"ref": ["Q1", "Q2", "Q3", "Q4"],
                            "query": ["JANSEN, Jan", "0032 470 99 88 77", "BE68 5390 0754 7034", "Vorkwise Qwyzzel"]})
    answer = hit_no_hit(case, queries, requesting="ES")
    assert list(answer.answers.columns) == ANSWER_COLUMNS
    by = {(r.ref, r.agency): r.hit for r in answer.answers.itertuples()}
    # NL's record is releasable to partners: a hit; BE's (BE only) and BKA's (RED) never are
    assert by[("Q1", "Politie NL")] is True
    assert not any(hit for (ref, agency), hit in by.items() if agency in ("Police BE", "BKA"))
    assert not by[("Q2", "Politie NL")] and not by[("Q4", "Politie NL")]
    requests = follow_up(case, answer, answer.hits["reference"].tolist())
    assert list(requests) == ["Politie NL"]
    sent = _everything_sent(answer, requests, tmp_path)
    # the answer echoes the asker's own queries; nothing else of the restricted records comes back
    sent_without_queries = sent
    for q in queries["query"]:
        sent_without_queries = sent_without_queries.replace(q, "")
    for canary in CANARIES + ["CANREC", "Police BE record", "1980-05-01", "NL-1"]:
        assert canary.lower() not in sent_without_queries.lower(), canary
    # a reference says nothing about the record it stands for
    ref = answer.hits["reference"].iloc[0]
    assert ref.startswith("PRUM-ES-") and "NL-1" not in ref


def test_the_owner_country_gets_its_own_hits(case):
    answer = hit_no_hit(case, pd.DataFrame({"query": ["Vorkwise Qwyzzel"]}), requesting="BE")
    assert set(answer.hits["agency"]) == {"Police BE"}  # BE's own record; BKA's RED stays with BKA


def test_follow_up_is_laid_out_as_the_mla_annex(case):
    answer = hit_no_hit(case, pd.DataFrame({"ref": ["A-7"], "query": ["+31 6 1234 5678"]}), requesting="ES")
    ref = answer.hits["reference"].iloc[0]
    annex = follow_up(case, "ES", [ref])["Politie NL"]
    assert annex.country == "NL"
    assert "Annex to the request for mutual legal assistance" in annex.markdown
    assert "[EIO reference]" in annex.markdown and ref in annex.markdown
    assert annex.requests["kind"].tolist() == ["phone"]
    assert "Subscriber data" in annex.requests["title"].iloc[0]
    with pytest.raises(InputError, match="were not given to FR"):
        follow_up(case, "FR", [ref])
    with pytest.raises(InputError, match="PRUM-XX"):
        follow_up(case, "ES", ["PRUM-XX-000"])


def test_encoded_queries(case):
    asker = pd.DataFrame({"record_id": ["E1", "E2", "E3"], "first_name": ["Jan", None, "Qwyzzel"],
                          "last_name": ["Jansen", None, "Vorkwise"], "birth_date": ["1980-05-01", None, None],
                          "identifiers": [[], ["phone:+32470998877"], []]})
    enc = encode(asker, "shared secret", agency="Policia ES")
    answer = hit_no_hit_encoded(case, enc, "shared secret", requesting="ES")
    hits = {(r.ref, r.agency) for r in answer.hits.itertuples()}
    assert hits == {("E1", "Politie NL")}
    assert set(answer.answers["query"]) == {"[encoded]"}
    with pytest.raises(NetintelError, match="another secret"):
        hit_no_hit_encoded(case, enc, "wrong secret", requesting="ES")


def test_read_queries_reports_every_problem(tmp_path):
    good = tmp_path / "q.csv"
    good.write_text("query;birth_date\nJan Jansen;1980\n+31 6 1234 5678;\n", encoding="utf-8")
    q = read_queries(good)
    assert q["ref"].tolist() == ["Q1", "Q2"] and q["query"].tolist() == ["Jan Jansen", "+31 6 1234 5678"]
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,query\nA,Jan\nA,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_queries(bad)
    assert "line 3: empty query" in str(err.value) and "line 3: reference 'A' used twice" in str(err.value)
    assert "bad.csv" in str(err.value)
    nocol = tmp_path / "nocol.csv"
    nocol.write_text("name\nJan\n", encoding="utf-8")
    with pytest.raises(InputError, match="no 'query' column"):
        read_queries(nocol)


def test_cli_answer_and_request(tmp_path, capsys):
    from netintel.cli import main

    path = tmp_path / "case.duckdb"
    ws = Workspace(path)
    _source(ws, "Politie NL", "NL", "TLP:AMBER", ["PARTNERS"],
            [("NL-1", {"first_name": "Jan", "last_name": "Jansen"}, "+31612345678")])
    _source(ws, "Policia ES", "ES", "TLP:AMBER", ["PARTNERS"], [])
    ws.close()
    queries = tmp_path / "q.csv"
    queries.write_text("ref,query\nR1,06 1234 5678\nR2,Nobody Here\n", encoding="utf-8")
    assert main(["prum", "answer", "--workspace", str(path), str(queries), "--requesting", "ES",
                 "--out", str(tmp_path / "answer.csv")]) == 0
    answer = pd.read_csv(tmp_path / "answer.csv")
    hit = answer[answer["hit"]]
    assert hit[["ref", "agency"]].values.tolist() == [["R1", "Politie NL"]]
    capsys.readouterr()
    assert main(["prum", "request", "--workspace", str(path), "--requesting", "ES", "--reference",
                 hit["reference"].iloc[0], "--out", str(tmp_path / "req")]) == 0
    written = sorted(p.name for p in (tmp_path / "req").iterdir())
    assert written == ["request_NL_Politie_NL.html", "request_NL_Politie_NL.md"]
