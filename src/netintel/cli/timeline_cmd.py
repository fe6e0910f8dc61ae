"""``netintel timeline``: the events of entities or a community over time, as a table or a lane chart."""

from __future__ import annotations

from ._output import add_workspace_arg, emit


def register(sub) -> None:
    p = sub.add_parser("timeline", help="events of entities or a community over time (table, chart)",
                       description="The events (calls, transfers, messages, sightings) of the given entities, or "
                                   "of a community, in a window: a tidy table, or with --out a lane chart "
                                   "(one lane per entity, lines where two interact).")
    add_workspace_arg(p)
    p.add_argument("--entity", "-e", action="append", metavar="ID", default=None,
                   help="a resolved entity id (repeat for several); a person brings its phones' events")
    p.add_argument("--community", metavar="C", help="the members of community C (numbered by size, 0 the largest)")
    p.add_argument("--seed", type=int, default=0, help="seed of the community detection (default 0)")
    p.add_argument("--since", metavar="DATE", help="window start (inclusive)")
    p.add_argument("--until", metavar="DATE", help="window end (exclusive)")
    p.add_argument("--kind", action="append", metavar="KIND", help="only these event kinds (call, transfer, ...)")
    p.add_argument("--out", "-o", metavar="FILE", help="write the chart here (.png, .svg or .pdf)")
    p.add_argument("--max-lanes", type=int, default=16, help="lanes in the chart (default 16)")
    p.add_argument("--title", help="chart title")
    p.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from ..analysis.temporal import community_members, timeline, users_of
    from ..workspace import Workspace

    with Workspace(args.workspace, read_only=True) as ws:
        entities = list(args.entity) if args.entity else None
        if args.community is not None:
            # phones and accounts on their users' lanes where the user is known
            members = users_of(ws, community_members(ws, args.community, seed=args.seed))
            entities = sorted(set(entities or []) | set(members))
        table = timeline(ws, entities, since=args.since, until=args.until, kinds=args.kind)
    written = None
    if args.out:
        from ..viz.style import save
        from ..viz.timeline import timeline_chart
        what = f"community {args.community}" if args.community is not None else \
            f"{table['entity'].nunique()} entities"
        fig = timeline_chart(table, max_lanes=args.max_lanes, title=args.title or f"Timeline: {what}",
                             source=Path(args.workspace).name)
        out = Path(args.out)
        fmt = out.suffix.lstrip(".").lower() or "png"
        written = [str(p) for p in save(fig, out, formats=(fmt,))]
    if args.json:
        cols = [c for c in table.columns if c != "releasable_to"] + ["releasable_to"]
        emit({"events": table[cols], "chart": written[0] if written else None}, as_json=True)
        return 0
    view = table[["time", "entity_label", "kind", "direction", "counterpart_label", "duration", "amount", "place"]]
    emit(view, as_json=False, title=f"{len(table)} event rows, {table['entity'].nunique()} entities"
                                    + (f"; chart written to {written[0]}" if written else ""))
    return 0
