"""``netintel brief``: the one-command briefing pack."""

from __future__ import annotations

from ._codes import country_arg
from ._output import emit


def register(sub) -> None:
    p = sub.add_parser("brief", help="ingest, resolve, analyse and write a briefing pack",
                       description="Ingest partners' files, resolve who is who, find the networks, their key "
                                   "players and jurisdictions, and write charts, tables, exports, an HTML and PDF "
                                   "summary and a manifest to reproduce it.")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="files or folders of partners' data")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="folder to write the pack to")
    p.add_argument("--workspace", "-w", metavar="FILE", help="keep the case in this workspace file")
    p.add_argument("--recipient", metavar="CC", type=country_arg("recipient"), help="make the pack for this country: only what it may receive")
    p.add_argument("--seed", type=int, default=0, help="seed of every random step (default 0)")
    p.add_argument("--top", type=int, default=5, help="networks that get jurisdictions and JIT (default 5)")
    p.add_argument("--min-share", type=float, default=0.8, help="share of the evidence a JIT must hold")
    p.add_argument("--pseudonyms", action="store_true", help="replace names by pseudonyms")
    p.add_argument("--title", default="Case briefing", help="title of the summary")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..brief import brief

    pack = brief(args.sources, args.out, workspace=args.workspace, recipient=args.recipient, seed=args.seed,
                 top_communities=args.top, min_share=args.min_share, pseudonyms=args.pseudonyms,
                 progress=not args.no_progress, case_title=args.title)
    if args.json:
        emit(pack.manifest, as_json=True)
        return 0
    cols = [c for c in ("community", "size", "typology", "probability", "priority") if c in pack.communities]
    emit(pack.communities[cols].head(10), as_json=False,
         title=f"{pack.marking.banner}\nBriefing pack written to {pack.out} ({len(pack.files)} files)\n"
               "Networks by priority:")
    return 0
