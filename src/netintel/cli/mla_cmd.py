"""``netintel mla --country CC``: the annex of a mutual legal assistance request to one country."""

from __future__ import annotations

import argparse

from ..cooperation import mla_annex
from ..cooperation._cli import add_scope_args, scope_members
from ..workspace import Workspace
from ._codes import country_arg
from ._output import add_workspace_arg, emit

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "mla", help="MLA / EIO annex for one requested country (Markdown and HTML)",
        description="What to request from --country (subscriber data, statements, register extracts, logs, "
                    "identity checks), each with the facts linking it to the case, their source and grading. "
                    "Only what --country may receive is quoted; the rest is referred to its originator.")
    add_workspace_arg(p)
    add_scope_args(p, recipient=False)
    p.add_argument("--country", required=True, metavar="CC", type=country_arg("country"), help="the requested country (ISO2)")
    p.add_argument("--requesting", metavar="CC", type=country_arg("requesting country"), help="the requesting country (ISO2)")
    p.add_argument("--typology", help="the suspected kind of crime, for the summary")
    p.add_argument("--court-override", metavar="REASON",
                   help="quote material not for use in court (Europol H1) because REASON (the originator's "
                        "permission); recorded in the workspace's audit log")
    p.add_argument("--out", metavar="FILE", help="write FILE.md and FILE.html instead of printing Markdown")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with Workspace(args.workspace, read_only=args.court_override is None) as ws:
        args.recipient = None  # communities for the annex are the originators' (facts are filtered one by one)
        members, analysis = scope_members(ws, args)
        typology = args.typology or (analysis.typology_of(args.community) if analysis is not None else None)
        annex = mla_annex(ws, members, country=args.country, requesting=args.requesting, typology=typology,
                           court_override=args.court_override)
    if args.out:
        paths = annex.save(args.out)
        if not args.json:
            emit(f"{annex!r}\nwritten: {', '.join(map(str, paths))}", as_json=False)
    if args.json:
        emit(annex.to_dict(), as_json=True)
    elif not args.out:
        emit(annex.markdown, as_json=False)
    return 0
