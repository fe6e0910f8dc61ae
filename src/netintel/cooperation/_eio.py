"""The annex written as a European Investigation Order: Annex A of Directive 2014/41/EU, sections A to L.

Used by :func:`netintel.cooperation.mla.mla_annex` when both countries are bound by the directive.
The sections follow the form's order (A issuing/executing State, B urgency, C measures, D earlier
EIO, E persons concerned, F type of proceedings, G grounds, H additional requirements for certain
measures, I formalities, J legal remedies, K issuing authority, L validating authority); what the
workspace knows is filled in (measures, persons, facts with their source and grading), the rest is
in [square brackets] for the issuing authority to complete.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..handling import Marking
from ._countries import country_name
from .mla import _case_summary, _Doc, _fact_lines, _md_escape, _restricted_section, _summary_persons

__all__ = ["eio_document", "ANNEX_A_SECTIONS", "ANNEX_D_CATEGORIES"]

#: The sections of Annex A of Directive 2014/41/EU.
ANNEX_A_SECTIONS: dict[str, str] = {
    "A": "Issuing State / executing State",
    "B": "Urgency",
    "C": "Investigative measure(s) to be carried out",
    "D": "Relation to an earlier EIO",
    "E": "Identity of the person concerned",
    "F": "Type of proceedings for which the EIO is issued",
    "G": "Grounds for issuing the EIO",
    "H": "Additional requirements for certain measures",
    "I": "Formalities and procedures requested for the execution",
    "J": "Legal remedies",
    "K": "Details of the authority that issued the EIO",
    "L": "Details of the judicial authority that validated the EIO",
}

#: Suspected kind of crime -> the category of offences of Annex D (Directive 2014/41/EU, art. 11(1)(g)).
ANNEX_D_CATEGORIES: dict[str, str] = {
    "drug_trafficking": "illicit trafficking in narcotic drugs and psychotropic substances",
    "human_smuggling": "facilitation of unauthorised entry and residence",
    "cybercrime": "computer-related crime",
    "money_laundering": "laundering of the proceeds of crime",
}

# Section H of Annex A: the sub-sections a kind of request calls for.
_SECTION_H = {
    "bank_account": [("H3", "Information on bank and other financial accounts (art. 26): the account holder, "
                            "persons authorised and the opening documents."),
                     ("H4", "Information on banking and other financial operations (art. 27): the statements "
                            "of account and counterparties for the period requested.")],
}


def eio_document(route: Any, typology: str | None, case_title: str | None, req: pd.DataFrame, facts: pd.DataFrame,
                 restricted: pd.DataFrame, visible: pd.DataFrame, places: pd.DataFrame, kinds: dict[str, str],
                 labels: dict[str, str], marking: Marking) -> _Doc:
    """The annex as EIO Annex A for the route ``route`` (requesting = issuing, requested = executing State)."""
    issuing, executing = route.requesting, route.requested
    name = country_name(executing)
    doc = _Doc()
    doc.add("p", f"**{marking.banner}**")
    doc.add("h1", f"European Investigation Order — Annex A of Directive 2014/41/EU — to {_md_escape(name)} "
                  f"({executing})")
    doc.add("note", "Fields in [square brackets] are for the issuing authority to complete. Facts are quoted with "
                    "their originating agency and source grading (Admiralty code: reliability A-F, credibility 1-6). "
                    f"Time limits: {_md_escape(route.duration)}.")

    doc.add("h2", f"Section A — {ANNEX_A_SECTIONS['A']}")
    doc.add("fields", [("Issuing State", f"{_md_escape(country_name(issuing))} ({issuing})"),
                       ("Executing State", f"{_md_escape(name)} ({executing})"),
                       ("Executing authority (if known)", f"[competent authority in {_md_escape(name)}]"),
                       ("EIO reference", "[EIO reference]"),
                       ("Issuing authority's file", "[case reference]"),
                       ("Transmission", _md_escape(route.channel))])

    doc.add("h2", f"Section B — {ANNEX_A_SECTIONS['B']}")
    doc.add("p", "[Urgency and its reasons, e.g. the operators' retention periods for traffic data; the deadline "
                 "for execution, if shorter than art. 12 sets.]")

    doc.add("h2", f"Section C — {ANNEX_A_SECTIONS['C']}")
    if req.empty:
        doc.add("p", f"No phone, account, company, domain, server, vehicle or resident person of this case that "
                     f"{_md_escape(name)} may be told about is located there.")
    else:
        doc.add("ol", [f"{_md_escape(r.title)}: {_md_escape(r.measure)}" for r in req.itertuples()])
    if (req["kind"] == "phone").any() if len(req) else False:
        doc.add("p", "The identification of the persons holding a subscription of a specified phone number is a "
                     "measure that must always be available in the executing State (art. 10(2)(e)).")

    doc.add("h2", f"Section D — {ANNEX_A_SECTIONS['D']}")
    doc.add("p", "[Reference of any earlier EIO or MLA request in this case, and the authority it went to; "
                 "otherwise: none.]")

    doc.add("h2", f"Section E — {ANNEX_A_SECTIONS['E']}")
    named = sorted({labels[n] for n in _summary_persons(visible, kinds, labels, facts, req)})
    if named:
        doc.add("ul", [f"{_md_escape(p)} — [nationality, date and place of birth, address, identity documents; "
                       "whether suspect, victim or witness]" for p in named[:20]]
                + ([f"and {len(named) - 20} more persons"] if len(named) > 20 else []))
    orgs = [r.item for r in req.itertuples() if r.kind == "organisation"] if len(req) else []
    if orgs:
        doc.add("p", "Legal persons: " + "; ".join(_md_escape(o) for o in orgs) + ".")
    if not named and not orgs:
        doc.add("p", "[No person named in releasable material: identify the person concerned, if any.]")

    doc.add("h2", f"Section F — {ANNEX_A_SECTIONS['F']}")
    doc.add("p", "[Criminal proceedings brought by, or that may be brought before, a judicial authority in respect "
                 "of a criminal offence under the national law of the issuing State (art. 4(a)) — or another type.]")

    doc.add("h2", f"Section G — {ANNEX_A_SECTIONS['G']}")
    summary, _ = _case_summary(visible, kinds, labels, facts, req, places, typology, case_title)
    doc.add("p", f"**1. Summary of the facts.** {summary}")
    for r in req.itertuples():
        doc.add("p", f"Measure {r.number} ({_md_escape(r.item)}) is needed because of the following facts:")
        doc.add("ol", _fact_lines(r.number, facts, restricted))
    category = ANNEX_D_CATEGORIES.get(typology or "")
    doc.add("p", "**Legal classification:** [nature and legal classification of the offence(s) and the applicable "
                 "statutory provision or code].")
    doc.add("p", "**Category of offence (Annex D), if punishable by a custodial sentence of at least three years:** "
            + (f"{_md_escape(category)} [confirm]" if category else "[category, if applicable]") + ".")

    doc.add("h2", f"Section H — {ANNEX_A_SECTIONS['H']}")
    extra = []
    for kind in (sorted(set(req["kind"])) if len(req) else []):
        extra += [f"**{code}** {text}" for code, text in _SECTION_H.get(kind, [])]
    doc.add("ul", extra) if extra else doc.add("p", "None of the measures requested calls for section H.")

    doc.add("h2", f"Section I — {ANNEX_A_SECTIONS['I']}")
    doc.add("p", "[Formalities and procedures to be complied with (art. 9(2)), e.g. certification of bank records "
                 "for use in court, presence of officers of the issuing State.] Please do not inform the persons "
                 f"concerned (art. 19). This EIO is marked **{marking.banner}**: use only for its execution.")

    doc.add("h2", f"Section J — {ANNEX_A_SECTIONS['J']}")
    doc.add("p", "[Whether a legal remedy has been sought against the issuing of this EIO, and where.]")

    doc.add("h2", f"Section K — {ANNEX_A_SECTIONS['K']}")
    doc.add("fields", [("Type of issuing authority", "[judge, court, investigating judge or public prosecutor]"),
                       ("Name and contact", "[name, function, address, telephone, e-mail]"),
                       ("Languages", "[languages in which the authority may be contacted]"),
                       ("Date and signature", "[date] [signature and stamp]")])

    doc.add("h2", f"Section L — {ANNEX_A_SECTIONS['L']}")
    doc.add("p", "[Only if the EIO was issued by an authority other than a judge, court or prosecutor and "
                 "validated by one (art. 2(c)(ii)): its name, contact and the date of validation.]")

    doc.add("h2", "Information held under restrictions (not part of the form)")
    _restricted_section(doc, name, restricted)
    doc.add("p", f"Prepared with netintel on [date] by [analyst]. {len(req)} measure(s), "
                 f"{int(facts['record_id'].notna().sum())} fact(s) quoted.")
    return doc
