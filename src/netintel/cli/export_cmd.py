"""``netintel export``: write the case graph for Gephi, yEd, Cytoscape, i2, Aleph or MISP/OpenCTI."""

from __future__ import annotations

from ._codes import country_arg
from ._output import add_workspace_arg, emit


def register(sub) -> None:
    from ..export import FORMATS

    p = sub.add_parser("export", help="export the case graph (GEXF, GraphML, Cytoscape, i2, FtM, STIX, CSV, XLSX)",
                       description="Export the resolved case graph with provenance; for a recipient country, "
                                   "only what that country may receive.")
    add_workspace_arg(p)
    p.add_argument("--format", "-f", choices=FORMATS, required=True)
    p.add_argument("--out", "-o", required=True,
                   help="the file to write (the format's extension is added when it has none); for i2 and csv a "
                        "file stem: -o out/case writes out/case_i2_entities.csv, out/case_i2_links.csv and "
                        "out/case_i2_import.ximp (csv: out/case_entities.csv, _links.csv, _marking.csv)")
    p.add_argument("--recipient", metavar="CC", type=country_arg("recipient"), help="the country the export is made for (ISO 3166-1 alpha-2)")
    p.add_argument("--pseudonyms", action="store_true", help="replace names by stable pseudonyms")
    p.add_argument("--min-grading", metavar="CODE", help="leave out links graded below this (e.g. B2)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..export import export_graph
    from ..graph import build_graph
    from ..workspace import Workspace

    with Workspace(args.workspace, read_only=True) as ws:
        graph = build_graph(ws, recipient=args.recipient, min_grading=args.min_grading)
        result = export_graph(graph, args.out, format=args.format, recipient=args.recipient,
                              pseudonyms=args.pseudonyms)
    if args.json:
        emit(result.to_dict(), as_json=True)
    else:
        print(result.summary())
    return 0
