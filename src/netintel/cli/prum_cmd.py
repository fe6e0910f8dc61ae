"""``netintel prum answer|request``: the Prüm-style two-step exchange (hit / no-hit, then details)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..workspace import Workspace
from ._output import add_workspace_arg, emit

__all__ = ["register", "run_answer", "run_request"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "prum", help="Prüm-style exchange: hit / no-hit per partner, then the follow-up request",
        description="Step one (answer): for a partner country's list of names, numbers and plates, say per partner "
                    "agency whether it holds a record that country may receive (hit / no hit and a reference "
                    "number, nothing else). Step two (request): the request for the details of chosen hits, one "
                    "per agency, laid out as the MLA annex.")
    steps = p.add_subparsers(dest="step", metavar="STEP", required=True)
    a = steps.add_parser("answer", help="hit / no-hit for a query list")
    add_workspace_arg(a)
    a.add_argument("queries", help="CSV with a 'query' column (optional: ref, birth_date), or with --encoded "
                                   "a PPRL encodings file of the asking country")
    a.add_argument("--requesting", required=True, metavar="ISO2", help="the asking country")
    a.add_argument("--encoded", action="store_true", help="the queries are privacy-preserving encodings (PPRL)")
    a.add_argument("--secret-file", metavar="FILE", help="with --encoded: the secret shared for this exchange")
    a.add_argument("--out", metavar="FILE", help="write the answer for the asking country as CSV")
    a.set_defaults(func=run_answer)
    r = steps.add_parser("request", help="the follow-up request for chosen hits, per agency")
    add_workspace_arg(r)
    r.add_argument("--requesting", required=True, metavar="ISO2", help="the asking country")
    r.add_argument("--reference", action="append", required=True, metavar="REF",
                   help="a reference number from the answer; repeatable")
    r.add_argument("--out", metavar="DIR", help="write one request per agency (Markdown and HTML) into DIR")
    r.set_defaults(func=run_request)


def run_answer(args: argparse.Namespace) -> int:
    from ..cooperation.prum import hit_no_hit, hit_no_hit_encoded
    from ..errors import InputError

    with Workspace(args.workspace) as ws:
        if args.encoded:
            from ..resolve.pprl import Encodings

            if not args.secret_file:
                raise InputError("--encoded needs --secret-file", field="--secret-file",
                                 hint="give the file holding the secret shared with the asking country")
            secret = Path(args.secret_file).read_text(encoding="utf-8").strip()
            answer = hit_no_hit_encoded(ws, Encodings.load(args.queries), secret, requesting=args.requesting)
        else:
            answer = hit_no_hit(ws, args.queries, requesting=args.requesting)
    if args.out:
        answer.to_csv(args.out)
    if args.json:
        emit(answer.to_dict(), as_json=True)
    else:
        emit(answer.answers, as_json=False, title=repr(answer))
    return 0


def run_request(args: argparse.Namespace) -> int:
    from ..cooperation.prum import follow_up

    with Workspace(args.workspace) as ws:
        requests = follow_up(ws, args.requesting, args.reference)
    written = []
    if args.out:
        for agency, annex in requests.items():
            stem = "".join(ch if ch.isalnum() else "_" for ch in agency).strip("_") or "agency"
            written += annex.save(Path(args.out) / f"request_{annex.country}_{stem}")
    if args.json:
        emit({agency: annex.to_dict() for agency, annex in requests.items()}, as_json=True)
    else:
        for agency, annex in requests.items():
            emit(annex.markdown if not args.out else repr(annex), as_json=False, title=f"== {agency}")
        if written:
            emit("written: " + ", ".join(map(str, written)), as_json=False)
    return 0
