"""``netintel switches``: identifiers that went silent and the new identifiers probably used by the same person."""

from __future__ import annotations

from ._output import add_workspace_arg, emit


def register(sub) -> None:
    p = sub.add_parser("switches", help="propose identifier (handset, account) switches; confirm or reject one",
                       description="Rank, per identifier that went silent, the new identifiers whose contacts, "
                                   "rhythm and cells match it: 'probably the same user', with the shared contacts. "
                                   "--confirm/--reject records an analyst's decision in the workspace.")
    add_workspace_arg(p)
    p.add_argument("--min-score", type=float, default=0.25, metavar="S",
                   help="leave out proposals scoring below S (0-1; default 0.25)")
    p.add_argument("--top", action="store_true", help="only the best proposal per old identifier")
    p.add_argument("--since", metavar="DATE", help="only events from this date")
    p.add_argument("--until", metavar="DATE", help="only events before this date")
    rules = p.add_argument_group("timing rules", "by default adapted to the records' span and each identifier's "
                                                 "event rate; give a number of days to fix one")
    rules.add_argument("--min-silence-days", type=float, metavar="D",
                       help="the old identifier must have been silent this long at the end")
    rules.add_argument("--max-gap-days", type=float, metavar="D",
                       help="the new identifier starts at most D days after the old one's last activity")
    rules.add_argument("--max-overlap-days", type=float, metavar="D",
                       help="... and at most D days before it (both used side by side)")
    rules.add_argument("--half-life-days", type=float, metavar="D", help="the timing score halves every D days of gap")
    rules.add_argument("--min-events", type=int, metavar="N", help="least events of each identifier (default 3)")
    rules.add_argument("--min-shared", type=int, metavar="N", help="least shared contacts (default 2)")
    p.add_argument("--confirm", nargs=2, metavar=("OLD", "NEW"),
                   help="record that NEW is the same user as OLD (resolved ids as listed)")
    p.add_argument("--reject", nargs=2, metavar=("OLD", "NEW"), help="record that a proposal is wrong")
    p.add_argument("--analyst", help="who decides (default: the login name)")
    p.add_argument("--note", help="why (kept with the decision)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..analysis.switching import confirm_switch, propose_switches, reject_switch
    from ..workspace import Workspace

    deciding = bool(args.confirm or args.reject)
    with Workspace(args.workspace, read_only=not deciding, actor=args.analyst) as ws:
        if deciding:
            old, new = args.confirm or args.reject
            proposals = propose_switches(ws, since=args.since, until=args.until, min_score=0.0,
                                         include_decided=True)
            decide = confirm_switch if args.confirm else reject_switch
            row = decide(ws, old, new, analyst=args.analyst, note=args.note, proposals=proposals)
            emit(row, as_json=args.json, title="Decision recorded")
            return 0
        options = {k: getattr(args, k) for k in ("min_silence_days", "max_gap_days", "max_overlap_days",
                                                 "half_life_days", "min_events", "min_shared")
                   if getattr(args, k) is not None}
        result = propose_switches(ws, since=args.since, until=args.until, min_score=args.min_score, **options)
    table = result.top() if args.top else result.table
    if args.json:
        cols = ["old_id", "old_label", "new_id", "new_label", "kind", "score", "rank", "mutual", "n_shared",
                "shared_contacts", "shared_contact_ids", "contact_similarity", "rhythm_similarity",
                "place_similarity", "timing", "direct_contact", "gap_days", "old_first", "old_last", "new_first",
                "new_last"]
        emit({"parameters": result.parameters, "marking": result.marking, "proposals": table[cols],
              "rules": result.funnel}, as_json=True)
        return 0
    if table.empty:
        emit(result.funnel, as_json=False, title="No switch proposed: " + result.why_none().splitlines()[0])
        return 0
    view = table[["old_id", "old_label", "new_id", "new_label", "score", "rank", "n_shared", "gap_days",
                  "shared_contacts"]].copy()
    view["shared_contacts"] = [", ".join(map(str, s[:5])) + (f" (+{len(s) - 5})" if len(s) > 5 else "")
                               for s in view["shared_contacts"]]
    title = (f"{len(result.top())} identifiers with a switch proposal (min score {args.min_score})"
             + (f" — {result.marking}" if result.marking else ""))
    emit(view, as_json=False, title=title)
    return 0
