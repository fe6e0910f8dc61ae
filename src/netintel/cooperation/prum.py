"""Prüm-style two-step exchange: hit / no-hit first, the details only on a follow-up request.

Step one (:func:`hit_no_hit`) answers a partner country's list of queries (names, phone numbers,
plates, accounts ...) per partner agency of the pooled case with *hit* or *no hit* and, for a hit,
a reference number — nothing else: no name, no record id, no count, no grading. Only records the
asking country may receive are searched (the same restricted view as every other output:
:meth:`netintel.workspace.Workspace.releasable_mask`), so a record it may not receive can never
turn a "no hit" into a "hit". References are keyed hashes under a secret kept in the workspace,
so they cannot be traced back to a record by whoever receives them; the ledger of what each
reference stands for stays with the holder (table ``prum_ledger``).

Step two (:func:`follow_up`) turns the hits the analyst chose into the request for details, one
per partner agency, in the form of the mutual legal assistance annex
(:class:`~netintel.cooperation.mla.MlaAnnex`, :data:`~netintel.cooperation.mla.MEASURES`): what the
asking country sent, the reference it received and the measure it asks for. It quotes nothing of
the partner's records — those come back through the partner's own channel.

Queries come in clear text (:func:`read_queries`, a CSV with a ``query`` column) or as
privacy-preserving encodings (:mod:`netintel.resolve.pprl`): the asking country sends keyed Bloom
filters of its names and keyed hashes of its numbers, the holder encodes each agency's
releasable person records with the same shared secret and answers hit / no-hit per encoded query.

Examples
--------
>>> import pandas as pd
>>> from netintel.cooperation._demo import demo_workspace
>>> ws = demo_workspace()
>>> answer = hit_no_hit(ws, pd.DataFrame({"ref": ["Q1", "Q2"], "query": ["+32 470 11 12 22", "Nobody Known"]}),
...                     requesting="NL")
>>> answer.answers[["ref", "agency", "hit"]].to_dict("records")[:3]
[{'ref': 'Q1', 'agency': 'BKA', 'hit': False}, {'ref': 'Q1', 'agency': 'Police BE', 'hit': True}, {'ref': 'Q1', 'agency': 'Politie NL', 'hit': True}]
>>> requests = follow_up(ws, answer, answer.hits["reference"].tolist()[:1])
>>> list(requests)
['Police BE']
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import pandas as pd

from .._text import printable
from ..errors import InputError, NetintelError
from ..handling import Marking
from .markings import banner_html
from .mla import MEASURES, MlaAnnex
from ._countries import country_name

if TYPE_CHECKING:  # pragma: no cover
    from ..resolve.pprl import Encodings
    from ..workspace import Workspace

__all__ = ["PrumAnswer", "hit_no_hit", "hit_no_hit_encoded", "follow_up", "read_queries", "ANSWER_COLUMNS"]

#: Columns of :attr:`PrumAnswer.answers`: everything the asking country receives.
ANSWER_COLUMNS = ["ref", "query", "agency", "country", "hit", "reference"]
LEDGER_TABLE = "prum_ledger"
# How the answer itself is marked: it says only whether a partner holds something releasable to the
# asker, which is the asker's to know.
_ANSWER_MARKING = "TLP:AMBER"


def read_queries(path: str | Path) -> pd.DataFrame:
    """Read a query list: a CSV with a ``query`` column and optional ``ref``, ``type``, ``birth_date``.

    Rows without a ``ref`` are numbered ``Q1, Q2 ...`` by line. Every problem is reported at once
    with its line.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"cannot read the query list ({exc})", file=str(path),
                         hint="give a CSV with a header line and a 'query' column") from exc
    frame.columns = [c.strip().lower() for c in frame.columns]
    if "query" not in frame.columns:
        raise InputError(f"no 'query' column (columns: {', '.join(frame.columns)})", file=str(path),
                         field="query", hint="name the column of names, numbers and plates 'query'")
    problems = [f"line {i + 2}: empty query" for i, q in enumerate(frame["query"]) if not str(q).strip()]
    if "ref" not in frame.columns:
        frame["ref"] = [f"Q{i + 1}" for i in range(len(frame))]
    frame["ref"] = [r.strip() or f"Q{i + 1}" for i, r in enumerate(frame["ref"])]
    dup = frame["ref"][frame["ref"].duplicated()]
    problems += [f"line {i + 2}: reference {r!r} used twice" for i, r in dup.items()]
    if problems:
        raise InputError("the query list has problems:\n  - " + "\n  - ".join(problems), file=str(path),
                         field="query", hint="fix these lines and send the list again")
    cols = ["ref", "query"] + [c for c in ("type", "birth_date") if c in frame.columns]
    return frame[cols].reset_index(drop=True)


def _secret(ws: "Workspace") -> bytes:
    """The workspace's own key for references (made once, never leaves the workspace)."""
    row = ws.con.execute("SELECT value FROM meta WHERE key = 'prum_secret'").fetchone()
    if row:
        return bytes.fromhex(row[0])
    key = secrets.token_hex(32)
    ws.con.execute("INSERT INTO meta VALUES ('prum_secret', ?)", [key])
    return bytes.fromhex(key)


def _reference(key: bytes, requesting: str, ref: str, agency: str, record_ids: Iterable[str]) -> str:
    digest = hmac.new(key, json.dumps([requesting, ref, agency, sorted(record_ids)]).encode(), hashlib.sha256)
    return f"PRUM-{requesting}-{digest.hexdigest()[:12].upper()}"


def _agencies(ws: "Workspace") -> pd.DataFrame:
    return ws.sql("SELECT agency, min(country) AS country FROM sources WHERE agency IS NOT NULL "
                  "GROUP BY agency ORDER BY agency")


@dataclass(frozen=True)
class PrumAnswer:
    """The hit / no-hit answer to one query list.

    Attributes
    ----------
    requesting : ISO2 of the asking country
    mode : ``clear`` or ``pprl``
    answers : one row per query and partner agency (:data:`ANSWER_COLUMNS`): all that is sent
    marking : the answer's own marking
    """

    requesting: str
    mode: str
    answers: pd.DataFrame
    marking: Marking = field(default_factory=lambda: Marking(_ANSWER_MARKING, ("*",)))

    @property
    def hits(self) -> pd.DataFrame:
        """The rows that are hits."""
        return self.answers[self.answers["hit"]].reset_index(drop=True)

    def to_csv(self, path: str | Path) -> Path:
        """Write the answer for the asking country."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = self.answers.assign(query=[printable(q, keep_newlines=False) for q in self.answers["query"]])
        frame.to_csv(path, index=False)
        return path

    def to_dict(self) -> dict[str, Any]:
        return {"requesting": self.requesting, "mode": self.mode,
                "marking": {"handling": self.marking.handling, "releasable_to": [self.requesting]},
                "answers": self.answers}

    def __repr__(self) -> str:
        n_q = self.answers["ref"].nunique() if len(self.answers) else 0
        return (f"<PrumAnswer to {self.requesting} ({self.mode}): {n_q} queries, {int(self.answers['hit'].sum())} "
                f"hit(s) at {self.hits['agency'].nunique() if len(self.hits) else 0} partner(s)>")

    def _repr_html_(self) -> str:
        table = self.answers.assign(hit=self.answers["hit"].map({True: "HIT", False: "no hit"}))
        return (banner_html(Marking(self.marking.handling, (self.requesting,)), self.requesting)
                + f"<p><b>Hit / no-hit answer</b> to {html.escape(self.requesting)} ({self.mode})</p>"
                + table.to_html(index=False, escape=True, border=0))


def _ledger(ws: "Workspace", rows: list[dict[str, Any]]) -> None:
    ws.execute(f"CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (reference VARCHAR, requesting VARCHAR, ref VARCHAR, "
               "query VARCHAR, query_kind VARCHAR, agency VARCHAR, country VARCHAR, record_ids VARCHAR[], "
               "answered_at TIMESTAMP)")
    if not rows:
        return
    frame = pd.DataFrame(rows)
    ws.con.execute(f"DELETE FROM {LEDGER_TABLE} WHERE reference IN (SELECT unnest(?))", [list(frame["reference"])])
    ws.con.register("_netintel_prum_rows", frame)
    ws.con.execute(f"INSERT INTO {LEDGER_TABLE} SELECT reference, requesting, ref, query, query_kind, agency, country, "
                   "record_ids, answered_at FROM _netintel_prum_rows")
    ws.con.unregister("_netintel_prum_rows")


def _answer(ws: "Workspace", requesting: str, mode: str, queries: pd.DataFrame,
            found: dict[str, dict[str, tuple[str, list[str]]]]) -> PrumAnswer:
    """Assemble the answer from ``found``: ref -> agency -> (query kind, record ids)."""
    key = _secret(ws)
    agencies = _agencies(ws)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows, ledger = [], []
    for ref, query in zip(queries["ref"], queries["query"]):
        for agency, country in zip(agencies["agency"], agencies["country"]):
            kind_ids = found.get(ref, {}).get(agency)
            reference = None
            if kind_ids:
                reference = _reference(key, requesting, ref, agency, kind_ids[1])
                ledger.append({"reference": reference, "requesting": requesting, "ref": ref, "query": query,
                               "query_kind": kind_ids[0], "agency": agency, "country": country,
                               "record_ids": sorted(kind_ids[1]), "answered_at": now})
            rows.append({"ref": ref, "query": query, "agency": agency, "country": country,
                         "hit": bool(kind_ids), "reference": reference})
    _ledger(ws, ledger)
    ws.audit("prum_answer", {"requesting": requesting, "mode": mode, "queries": len(queries),
                             "hits": len(ledger)})
    answers = pd.DataFrame(rows, columns=ANSWER_COLUMNS)
    return PrumAnswer(requesting, mode, answers, Marking(_ANSWER_MARKING, (requesting,)))


def hit_no_hit(ws: "Workspace", queries: pd.DataFrame | str | Path, *, requesting: str,
               min_score: float = 0.9) -> PrumAnswer:
    """Step one in clear text: hit or no hit per query and partner agency, with a reference number.

    Parameters
    ----------
    ws : the pooled case
    queries : a frame with ``query`` (and ``ref``, optionally ``birth_date``) or the path of such a CSV
    requesting : ISO2 of the asking country; only records it may receive are searched
    min_score : name hits below this score do not count (numbers, accounts and plates match exactly)
    """
    from ..search import search

    requesting = _country(requesting)
    if not isinstance(queries, pd.DataFrame):
        queries = read_queries(queries)
    elif "query" not in queries:
        raise InputError("the query list has no 'query' column", field="query")
    else:
        queries = queries.assign(ref=queries["ref"] if "ref" in queries else [f"Q{i + 1}" for i in range(len(queries))])
    found: dict[str, dict[str, tuple[str, list[str]]]] = {}
    for row in queries.to_dict("records"):
        dob = row.get("birth_date") or None
        result = search(ws, str(row["query"]), recipient=requesting, birth_date=dob, min_score=min_score, limit=10_000)
        for agency, g in result.hits.groupby("agency", sort=True):
            found.setdefault(row["ref"], {})[agency] = (_query_kind(g), list(g["entity_id"]))
    return _answer(ws, requesting, "clear", queries, found)


def _query_kind(hits: pd.DataFrame) -> str:
    kinds = hits["kind"].value_counts()
    return str(kinds.index[0])


def _country(code: str) -> str:
    code = str(code or "").strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise NetintelError(f"requesting country {code!r} is not an ISO 3166-1 alpha-2 code (e.g. DE, NL)")
    return code


def hit_no_hit_encoded(ws: "Workspace", encodings: "Encodings", secret: str | bytes, *, requesting: str,
                       threshold: float = 0.8) -> PrumAnswer:
    """Step one with privacy-preserving encodings: the asking country sent no clear name.

    ``encodings`` are the asker's query records encoded with :func:`netintel.resolve.pprl.encode`
    (names, dates of birth, and identifier keys such as ``phone:+31...`` as keyed hashes) under
    ``secret``, the key the partners share. Each agency's person records the asker may receive
    are encoded here with the same secret and matched; the answer is hit / no-hit per encoded
    query record.
    """
    from ..resolve.deterministic import entity_keys, linked_keys
    from ..resolve.pprl import encode, match

    requesting = _country(requesting)
    ents = ws.entities()
    ents = ents[ws.releasable_mask(ents, requesting).to_numpy()]  # restrict first
    links = ws.links()
    links = links[ws.releasable_mask(links, requesting).to_numpy()]
    keys = entity_keys(ents.drop_duplicates("entity_id"))
    persons = ents[ents["kind"] == "person"]
    found: dict[str, dict[str, tuple[str, list[str]]]] = {}
    for agency, mine in persons.groupby("agency", sort=True):
        mine = mine.drop_duplicates("entity_id")
        own_ents = ents[ents["agency"] == agency].drop_duplicates("entity_id")
        linked = linked_keys(own_ents, links[links["agency"] == agency], keys, of_kinds=("person",))
        own = keys[keys["entity_id"].isin(mine["entity_id"])].groupby("entity_id")["key"].agg(list).to_dict()
        props = [p or {} for p in mine["properties"]]
        frame = pd.DataFrame({
            "record_id": list(mine["entity_id"]),
            **{c: [p.get(c) if isinstance(p.get(c), str) else None for p in props]
               for c in ("first_name", "last_name", "name", "birth_date")},
            "identifiers": [sorted(set(linked.get(e, [])) | set(own.get(e, []))) for e in mine["entity_id"]],
        })
        side = encode(frame, secret, agency=f"holder:{agency}", bits=int(encodings.scheme.get("bits", 1024)),
                      k=encodings.scheme.get("k"), n_bands=int(encodings.scheme.get("n_bands", 24)),
                      band_width=int(encodings.scheme.get("band_width", 14)))
        if side.scheme.get("key_check") != encodings.scheme.get("key_check"):
            raise NetintelError("the query encodings were made with another secret than the one given: "
                                "use the secret shared with the asking country for this exchange")
        pairs = match(encodings, side, threshold=threshold).pairs
        for ref, g in pairs.groupby("record_a", sort=True):
            found.setdefault(str(ref), {})[agency] = ("person", sorted(set(g["record_b"])))
    queries = pd.DataFrame({"ref": list(encodings.record_ids), "query": ["[encoded]"] * len(encodings)})
    return _answer(ws, requesting, "pprl", queries, found)


def follow_up(ws: "Workspace", answer: PrumAnswer | str, references: Sequence[str], *,
              case_title: str | None = None) -> dict[str, MlaAnnex]:
    """Step two: the request for the details of chosen hits, one per partner agency.

    Parameters
    ----------
    answer : the :class:`PrumAnswer` (or the ISO2 of the asking country, for references read
        back from an answer file)
    references : the reference numbers of the hits the analyst wants the details of

    Returns
    -------
    dict
        agency -> :class:`~netintel.cooperation.mla.MlaAnnex`, written to the agency's country, in the
        annex's form; each request names the query as the asker sent it and the reference received.
    """
    requesting = answer.requesting if isinstance(answer, PrumAnswer) else _country(answer)
    refs = [str(r).strip() for r in references if str(r).strip()]
    if not refs:
        raise InputError("no reference chosen", field="references", hint="give the references of the hits to follow up")
    if not ws.has_table(LEDGER_TABLE):
        raise NetintelError("this workspace has answered no hit / no-hit query: no reference is known here")
    ledger = ws.sql(f"SELECT * FROM {LEDGER_TABLE} WHERE reference IN (SELECT unnest(?)) AND requesting = ?",
                    [refs, requesting])
    unknown = sorted(set(refs) - set(ledger["reference"]))
    if unknown:
        raise InputError(f"reference(s) {', '.join(unknown)} were not given to {requesting} by this workspace",
                         field="references", hint="copy the references from the hit / no-hit answer")
    out: dict[str, MlaAnnex] = {}
    for agency, g in ledger.groupby("agency", sort=True):
        out[agency] = _request(requesting, agency, str(g["country"].iloc[0]), g, case_title)
    return out


_QUERY_KIND = {"phone": "phone", "bank_account": "bank_account", "vehicle": "vehicle", "organisation": "organisation",
               "domain": "domain", "ip_address": "ip_address", "person": "person"}


def _md_escape(text: str) -> str:
    return re.sub(r"([\\`*_|<>])", r"\\\1", str(text))


def _request(requesting: str, agency: str, country: str, ledger: pd.DataFrame, case_title: str | None) -> MlaAnnex:
    """The follow-up request to one agency, laid out as the MLA annex."""
    requests, facts = [], []
    for number, r in enumerate(ledger.sort_values("ref").itertuples(), start=1):
        kind = _QUERY_KIND.get(r.query_kind, "person")
        item = printable(str(r.query), keep_newlines=False)
        _, title, measure = MEASURES[kind]
        requests.append({"number": number, "kind": kind, "item": item, "node": None,
                         "title": title.format(item=item), "measure": measure.format(period="[period]"),
                         "period": "", "n_facts": 1, "agencies": [agency], "gradings": []})
        facts.append({"request": number, "text": f"Hit reference {r.reference} given by {agency} to query {r.ref}",
                      "agency": agency, "country": country, "grading": "", "handling": "", "record_id": None})
    req = pd.DataFrame(requests, columns=["number", "kind", "item", "node", "title", "measure", "period", "n_facts",
                                          "agencies", "gradings"])
    fact_df = pd.DataFrame(facts, columns=["request", "text", "agency", "country", "grading", "handling", "record_id"])
    restricted = pd.DataFrame(columns=["request", "agency", "n_records", "what"])
    marking = Marking(_ANSWER_MARKING, tuple(sorted({requesting, country})))
    name = country_name(country)
    lines = [f"**{marking.banner}**", "",
             f"# Annex to the request for mutual legal assistance — {_md_escape(name)} ({country})", "",
             "| | |", "|---|---|",
             f"| **To** | {_md_escape(agency)}, [competent authority in {_md_escape(name)}] |",
             f"| **From** | [issuing authority, {_md_escape(country_name(requesting))}] |",
             "| **Our reference** | [case reference] |",
             "| **Legal basis** | Follow-up of a hit in an automated hit / no-hit exchange (Council Decision "
             "2008/615/JHA, Art. 5 and 10) — [EIO reference] or [MLA convention and article] |",
             "| **Offences** | [legal qualification of the offences and the applicable provisions] |",
             "| **Date** | [date] |", "| **Contact** | [name, telephone and e-mail of the case officer] |", "",
             "> Fields in [square brackets] are for the analyst to complete before sending.", "",
             "## 1. Summary of the case", "",
             f"The investigation {_md_escape(case_title) if case_title else '[short title of the investigation]'} "
             f"queried your records in a hit / no-hit exchange; {len(req)} quer{'y' if len(req) == 1 else 'ies'} "
             "returned a hit. [Describe the facts under investigation and why the details are needed.]", "",
             "## 2. Measures requested", ""]
    for r in req.itertuples():
        lines += [f"### Request {r.number} — {_md_escape(r.title)}", "",
                  f"**Measure requested:** {_md_escape(r.measure)}", "",
                  "**Why it is needed:** the item is tied to the network under investigation by the following facts:",
                  ""]
        lines += [f"1. {_md_escape(f.text)}." for f in fact_df[fact_df["request"] == r.number].itertuples()]
        lines.append("")
    lines += ["## 3. Information held under restrictions", "",
              "None quoted: the details of each hit are the requested authority's to release.", "",
              "## 4. Confidentiality, use and urgency", "",
              f"This request is marked **{marking.banner}**. The information may be used only for the execution of "
              "this request [conditions on use / speciality]. Please do not inform the persons concerned.", ""]
    markdown = "\n".join(lines)
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Follow-up request</title></head>"
            "<body style='font-family:sans-serif;max-width:52em;margin:2em auto'>" + banner_html(marking, country)
            + f"<pre style='white-space:pre-wrap;font-family:inherit'>{html.escape(chr(10).join(lines[1:]))}</pre>"
            + banner_html(marking, country) + "</body></html>\n")
    return MlaAnnex(country, req, fact_df, restricted, markdown, page, marking, frozenset(), country)
