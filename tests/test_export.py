"""Exports open in the tools' formats, keep provenance, and respect releasability."""

from __future__ import annotations

import json
from dataclasses import dataclass

import igraph as ig
import jsonschema
import networkx as nx
import pandas as pd
import pytest
from lxml import etree

from netintel.errors import ReleasabilityError
from netintel.export import FORMATS, I2_SPEC_SCHEMA, STIX_EXTENSION_ID, export_graph, neutralise
from netintel.handling import Marking


@dataclass
class FakeGraph:
    nodes: pd.DataFrame
    edges: pd.DataFrame
    marking: Marking


@pytest.fixture
def graph() -> FakeGraph:
    nodes = pd.DataFrame({
        "id": ["N1", "N2", "N3", "N4", "N5", "N6", "N7"],
        "kind": ["person", "person", "phone", "bank_account", "domain", "organisation", "ip_address"],
        "label": ["Aleksandr Petrov", "=cmd|' /C calc'!A0", "+359 88 123 4567", "BG80BNBG96611020345678",
                  "pay-fast.example", "Nordic Logistics BV", "203.0.113.7"],
        "countries": [["BG", "RU"], ["NL"], ["BG"], ["BG"], ["EE"], ["NL"], ["EE"]],
        "agencies": [["Police BG"], ["Politie NL"], ["Telecom RO"], ["FIU BE"], ["CERT EE"], ["Registry CY"],
                     ["CERT EE"]],
        "n_records": [3, 1, 2, 1, 1, 1, 1],
        "grading": ["B2", "C3", "A1", "B2", "B2", "C3", "B2"],
        "handling": ["TLP:AMBER"] * 7,
    })
    edges = pd.DataFrame({
        "source": ["N1", "N1", "N1", "N2", "N6", "N5", "N1"],
        "target": ["N2", "N3", "N4", "N1", "N4", "N7", "N6"],
        "kind": ["associate_of", "uses", "owns", "call", "owns", "resolves_to", "directs"],
        "directed": [False, True, True, True, True, True, True],
        "weight": [2.0, 1.0, 1.0, 14.0, 1.0, 1.0, 1.0],
        "count": [2, 1, 1, 14, 1, 1, 1],
        "amount": [None, None, None, None, None, None, None],
        "first_seen": pd.to_datetime(["2025-01-02 00:00", None, None, "2025-03-01 22:10", None, None, None]),
        "last_seen": pd.to_datetime(["2025-02-02 00:00", None, None, "2025-04-01 01:00", None, None, None]),
        "agencies": [["Police BG", "Politie NL"], ["Telecom RO"], ["FIU BE"], ["Telecom RO"], ["Registry CY"],
                     ["CERT EE"], ["Registry CY"]],
        "grading": ["B2", "A1", "B2", "A1", "C3", "B2", "B2"],
        "handling": ["TLP:AMBER"] * 7,
        "link_ids": [["L1", "L2"], ["L3"], ["L4"], ["L5"], ["L6"], ["L7"], ["L8"]],
    })
    return FakeGraph(nodes, edges, Marking("TLP:AMBER", ("BE", "BG", "CY", "EE", "NL", "RO")))


def test_releasability_is_enforced(graph, tmp_path):
    with pytest.raises(ReleasabilityError, match="US"):
        export_graph(graph, tmp_path / "x.gexf", recipient="US")
    result = export_graph(graph, tmp_path / "x.gexf", recipient="nl")
    assert result.recipient == "NL" and result.n_nodes == 7 and result.n_edges == 7


def test_gexf_is_1_3_with_time_and_the_marking(graph, tmp_path):
    path = export_graph(graph, tmp_path / "case.gexf").paths[0]
    doc = etree.parse(str(path))
    ns = {"g": "http://gexf.net/1.3"}
    root = doc.getroot()
    assert root.tag == "{http://gexf.net/1.3}gexf" and root.get("version") == "1.3"
    g = root.find("g:graph", ns)
    assert g.get("mode") == "dynamic" and g.get("timerepresentation") == "interval"
    node_ids = {n.get("id") for n in doc.iterfind(".//g:nodes/g:node", ns)}
    assert node_ids == set(graph.nodes["id"])
    declared = {a.get("id") for a in doc.iterfind(".//g:attributes/g:attribute", ns)}
    for edge in doc.iterfind(".//g:edges/g:edge", ns):
        assert edge.get("source") in node_ids and edge.get("target") in node_ids
        for att in edge.iterfind(".//g:attvalue", ns):
            assert att.get("for") in declared
    call = next(e for e in doc.iterfind(".//g:edges/g:edge", ns) if e.get("kind") == "call")
    assert (call.get("start"), call.get("end")) == ("2025-03-01T22:10:00", "2025-04-01T01:00:00")
    petrov = next(n for n in doc.iterfind(".//g:nodes/g:node", ns) if n.get("id") == "N1")
    assert petrov.get("start") == "2025-01-02T00:00:00", "a node lives from its first dated link"
    assert "TLP:AMBER" in root.find("g:meta/g:description", ns).text
    defaults = {a.get("id"): a.findtext("g:default", namespaces=ns)
                for a in doc.iterfind(".//g:attributes[@class='node']/g:attribute", ns)}
    assert defaults["marking_handling"] == "TLP:AMBER"
    values = {a.get("for"): a.get("value") for a in call.iterfind(".//g:attvalue", ns)}
    assert (values["grading"], values["handling"], values["count"]) == ("A1", "TLP:AMBER", "14")


def test_control_characters_give_valid_xml(graph, tmp_path):
    graph.nodes.loc[0, "label"] = "Ivan\x01 Petrov\x0b"
    for fmt in ("gexf", "graphml"):
        path = export_graph(graph, tmp_path / f"case.{fmt}").paths[0]
        assert path.stat().st_size > 0
        doc = etree.parse(str(path))  # raises on an invalid XML character
        assert "Ivan\\x01 Petrov\\x0b" in etree.tostring(doc, encoding="unicode")
    assert not list(tmp_path.glob(".*.part")), "no temporary file left behind"


def test_graphml_reads_in_igraph_and_keeps_provenance(graph, tmp_path):
    path = export_graph(graph, tmp_path / "case.graphml").paths[0]
    g = ig.Graph.Read_GraphML(str(path))
    assert g.vcount() == 7 and g.ecount() == 7
    assert "agencies" in g.es.attributes() and "grading" in g.es.attributes()
    call = [e for e in g.es if e["kind"] == "call"][0]
    assert call["agencies"] == "Telecom RO" and call["weight"] == 14.0
    assert dict(zip(g.vs["id"], g.vs["grading"]))["N2"] == "C3", "grading on nodes too"
    assert dict(zip(g.vs["id"], g.vs["handling"]))["N2"] == "TLP:AMBER"


CYTOSCAPE_SCHEMA = {  # Cytoscape.js element JSON, as its documentation defines it
    "type": "object",
    "required": ["elements"],
    "properties": {"elements": {
        "type": "object", "required": ["nodes", "edges"],
        "properties": {
            "nodes": {"type": "array", "items": {"type": "object", "required": ["data"], "properties": {
                "data": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}}}},
            "edges": {"type": "array", "items": {"type": "object", "required": ["data"], "properties": {
                "data": {"type": "object", "required": ["id", "source", "target"], "properties": {
                    "id": {"type": "string"}, "source": {"type": "string"}, "target": {"type": "string"}}}}}},
        }}},
}


def test_cytoscape_json_is_valid(graph, tmp_path):
    path = export_graph(graph, tmp_path / "case.cyjs").paths[0]
    doc = json.loads(path.read_text("utf-8"))
    jsonschema.validate(doc, CYTOSCAPE_SCHEMA)
    ids = [n["data"]["id"] for n in doc["elements"]["nodes"]] + [e["data"]["id"] for e in doc["elements"]["edges"]]
    assert len(ids) == len(set(ids)), "Cytoscape requires unique element ids"
    node_ids = {n["data"]["id"] for n in doc["elements"]["nodes"]}
    assert all(e["data"]["source"] in node_ids and e["data"]["target"] in node_ids for e in doc["elements"]["edges"])
    assert nx.cytoscape_graph(doc).number_of_edges() == 7
    assert doc["data"]["handling"] == "TLP:AMBER"


def test_i2_tables_follow_their_import_specification(graph, tmp_path):
    paths = export_graph(graph, tmp_path / "case", format="i2").paths
    ents, links, spec = (p for p in paths)
    e = pd.read_csv(ents, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    li = pd.read_csv(links, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    root = etree.parse(str(spec)).getroot()
    etree.XMLSchema(etree.fromstring(I2_SPEC_SCHEMA.encode())).assertValid(root.getroottree())
    for source, frame in zip(root.iterfind("Source"), (e, li)):
        columns = [c.get("name") for c in source.iterfind("Column")]
        assert columns == list(frame.columns), "every column is declared, in order"
        roles = {c.get("role"): c for c in source.iterfind("Column")}
        assert frame[roles["identity"].get("name")].is_unique
        if "allowed" in roles["type"].attrib:
            allowed = set(roles["type"].get("allowed").split("; "))
            assert set(frame[roles["type"].get("name")]) <= allowed
    assert set(li["From Identity"]) | set(li["To Identity"]) <= set(e["Identity"])
    dated = li["First Seen"][li["First Seen"] != ""]
    pd.to_datetime(dated, format="%Y-%m-%d %H:%M:%S")  # the declared format, or this raises
    assert (e["Label"].str[0] != "=").all(), "formula injection neutralised"
    assert "'=cmd|' /C calc'!A0" in set(e["Label"])
    assert "+359 88 123 4567" in set(e["Label"]), "phone numbers are left as written"


def test_ftm_export_is_valid_followthemoney(graph, tmp_path):
    from followthemoney import model

    path = export_graph(graph, tmp_path / "case.ftm.json", format="ftm").paths[0]
    proxies = [model.get_proxy(json.loads(line)) for line in path.read_text("utf-8").splitlines()]
    by_schema = {}
    for p in proxies:
        by_schema.setdefault(p.schema.name, []).append(p)
    assert len(by_schema["Person"]) == 2
    petrov = next(p for p in by_schema["Person"] if p.id == "N1")
    assert "+359881234567" in petrov.get("phone"), "a phone becomes a property of its user (FtM writes E.164)"
    assert len(by_schema["Directorship"]) == 1 and len(by_schema["Ownership"]) == 2
    assert by_schema["Associate"][0].get("person") == ["N1"]
    for p in proxies:  # every required property, as followthemoney declares them
        assert not [r for r in p.schema.required if not p.get(r)], (p.schema.name, p.id)
    call = by_schema["Call"][0]
    assert call.get("caller") == ["N2"] and call.get("receiver") == ["N1"]
    assert "grading A1" in call.get("summary") and "handling TLP:AMBER" in call.get("summary")


def test_stix_export_is_a_valid_bundle(graph, tmp_path):
    import stix2

    from .stix_schemas import schema_errors

    path = export_graph(graph, tmp_path / "case.stix.json", format="stix").paths[0]
    doc = json.loads(path.read_text("utf-8"))
    for obj in doc["objects"]:
        assert schema_errors(obj) == [], obj["type"]
        stix2.parse(obj, allow_custom=False)  # strict: raises on custom content
    types = sorted(o["type"] for o in doc["objects"])
    assert types.count("domain-name") == 1 and types.count("ipv4-addr") == 1
    assert types.count("identity") == 1 + 3, "the export's creator, two persons, one organisation"
    assert "x-crypto-wallet" not in types
    written = {o["extensions"][STIX_EXTENSION_ID]["netintel_id"] for o in doc["objects"]
               if "netintel_id" in o.get("extensions", {}).get(STIX_EXTENSION_ID, {}) and o["type"] != "relationship"}
    written |= {o["netintel_id"] for o in doc["objects"] if o["type"] == "netintel-entity"}
    assert written == set(graph.nodes["id"]), "every entity is written, none dropped"
    rel = {o["relationship_type"]: o for o in doc["objects"] if o["type"] == "relationship"}
    assert rel["resolves-to"]["confidence"] == 70, "B2: Admiralty credibility 2 is confidence 70"
    assert rel["resolves-to"]["extensions"][STIX_EXTENSION_ID]["admiralty"] == "B2"
    phone = next(o for o in doc["objects"] if o.get("netintel_id") == "N3")
    assert phone["netintel_links"][0]["kind"] == "uses", "a link to a netintel entity travels inside it"
    assert all(stix2.TLP_AMBER.id in o["object_marking_refs"] for o in doc["objects"] if "object_marking_refs" in o)
    again = export_graph(graph, tmp_path / "again.stix.json", format="stix").paths[0]
    assert again.read_bytes() == path.read_bytes(), "the same graph gives the same bundle"


def test_csv_and_xlsx_neutralise_formulas(graph, tmp_path):
    csvs = export_graph(graph, tmp_path / "case", format="csv").paths
    ents = pd.read_csv(csvs[0], dtype=str, keep_default_na=False)
    assert not ents["label"].str.match(r"^[=@]").any()
    assert "BG; RU" in set(ents["countries"]), "lists as ;-joined text, never a Python repr"
    assert not ents.apply(lambda c: c.str.startswith("[")).any().any()
    xlsx = export_graph(graph, tmp_path / "case.xlsx").paths[0]
    sheet = pd.read_excel(xlsx, sheet_name="Entities", dtype=str)
    assert "'=cmd|' /C calc'!A0" in set(sheet["label"])
    marking = pd.read_excel(xlsx, sheet_name="Marking")
    assert marking.loc[0, "handling"] == "TLP:AMBER"


@pytest.mark.parametrize("value", ["=1+1", "@SUM(A1)", "+A1", "-A1+2", "\t=1", "\r=1"])
def test_neutralise_refuses_every_formula_start(value):
    assert neutralise(value).startswith("'")


def test_every_format_writes(graph, tmp_path):
    for fmt in FORMATS:
        result = export_graph(graph, tmp_path / fmt / "case", format=fmt, pseudonyms=True)
        assert all(p.exists() and p.stat().st_size > 0 for p in result.paths), fmt


def test_xlsx_bytes_are_the_same_run_to_run(graph, tmp_path):
    a = export_graph(graph, tmp_path / "a.xlsx").paths[0].read_bytes()
    b = export_graph(graph, tmp_path / "b.xlsx").paths[0].read_bytes()
    assert a == b


def test_i2_stem_is_a_stem(graph, tmp_path):
    names = [p.name for p in export_graph(graph, tmp_path / "case", format="i2").paths]
    assert names == ["case_i2_entities.csv", "case_i2_links.csv", "case_i2_import.ximp"]
    assert not (tmp_path / "case").exists(), "-o case is a stem, not a folder"
    assert export_graph(graph, tmp_path / "case", format="stix").paths[0].name == "case.stix.json"


def test_prepared_tables_write_the_same_bytes_as_the_graph_in_every_format(graph, tmp_path):
    from netintel.export import prepare_tables

    for pseudonyms in (False, True):
        tables = prepare_tables(graph, pseudonyms=pseudonyms)
        for fmt in FORMATS:
            direct = export_graph(graph, tmp_path / f"a{pseudonyms}" / "case", format=fmt, pseudonyms=pseudonyms)
            shared = export_graph(tables, tmp_path / f"b{pseudonyms}" / "case", format=fmt, pseudonyms=pseudonyms)
            assert [p.read_bytes() for p in direct.paths] == [p.read_bytes() for p in shared.paths], fmt
    with pytest.raises(Exception, match="pseudonyms"):
        export_graph(prepare_tables(graph), tmp_path / "c.gexf", pseudonyms=True)


def test_graph_formats_escape_what_xml_cannot_hold_as_elementtree_does(graph, tmp_path):
    # written column by column: quotes, ampersands and angle brackets in labels and attributes
    # must come out as an XML parser reads them back
    graph.nodes.loc[0, "label"] = 'A & "B" <c>'
    graph.edges.loc[0, "grading"] = "x<y&z"
    for fmt in ("gexf", "graphml"):
        doc = etree.parse(str(export_graph(graph, tmp_path / f"case.{fmt}").paths[0]))
        text = etree.tostring(doc, encoding="unicode")
        assert "A &amp; &quot;B&quot; &lt;c&gt;" in text or "A &amp; \"B\" &lt;c&gt;" in text
        values = [e.get("value") for e in doc.iter("{*}attvalue")] + [e.text for e in doc.iter("{*}data")]
        labels = [e.get("label") for e in doc.iter("{*}node")] + [e.text for e in doc.iter("{*}data")]
        assert 'A & "B" <c>' in labels and "x<y&z" in values


def test_xlsx_sheets_written_column_by_column_are_the_xml_openpyxl_writes(tmp_path):
    import io
    import zipfile

    from netintel.export import _xlsx_sheet_xml

    frame = pd.DataFrame({
        "text": ["plain", " padded ", "a & b <c> \"d\"", "Ц ГДНП — 😀", "", None, "'=1+1", "-12.5"],
        "number": [1, 0, -3, 2**40, 7, 12, 1, 2],
        "real": [0.1, 1e-20, 2.5, -0.0, 3.0, 1 / 3, 12345678.9, 7.0],
        "flag": [True, False, True, True, False, True, False, True],
        "mixed": ["x", 1, 2.5, True, None, "", "y", 0],
    }).astype(object)
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        frame.to_excel(xl, sheet_name="S", index=False)
    expected = zipfile.ZipFile(io.BytesIO(buf.getvalue())).read("xl/worksheets/sheet1.xml").decode("ascii")
    assert _xlsx_sheet_xml(frame) == expected
    # what only openpyxl's own writer knows is left to it
    assert _xlsx_sheet_xml(pd.DataFrame({"f": ["=SUM(A1:A2)"]})) is None
    assert _xlsx_sheet_xml(pd.DataFrame({"t": [pd.Timestamp("2025-01-01")]}).astype(object)) is None
