"""Releasability as non-interference: every output made for a recipient R from a workspace W is what
the same computation gives on the case as it would be had the partners shared with R alone — built
here independently, record by record from the generator's spec — and a canary planted in a
restricted agency's records is found in no file written for anyone else."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from canary import assert_found, assert_no_canary, canary_agency, written_texts
from coop_fixtures import build_workspace, case_specs
from netintel.analysis.centrality import key_players
from netintel.cli import main
from netintel.cli._output import to_jsonable
from netintel.communities import detect_communities
from netintel.cooperation import case_jurisdictions, pooling_gain, priority_scores, recommend_jit
from netintel.errors import CountryCodeError, NetintelError, ReleasabilityError
from netintel.export import FORMATS, export_graph
from netintel.graph import build_graph
from netintel.releasability import restricted_workspace, view_for_recipient
from netintel.resolve import resolve

RECIPIENTS = ["NL", "DE", "BE", "FR", "US"]
# no shrinking phase: a failing example is reported as generated, in bounded time
FEW = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow],
               phases=[Phase.explicit, Phase.reuse, Phase.generate])


def _frame(df: pd.DataFrame) -> list:
    return json.loads(json.dumps(to_jsonable(df.reset_index(drop=True)), sort_keys=True, default=str))


def _outputs(ws, recipient: str) -> dict:
    """Every API output kind for ``recipient`` as plain JSON values."""
    graph = build_graph(ws, recipient=recipient)
    out = {"nodes": _frame(graph.nodes), "edges": _frame(graph.edges), "marking": repr(graph.marking)}
    outs = [case_jurisdictions(ws, recipient=recipient), pooling_gain(ws, recipient=recipient),
            recommend_jit(ws, recipient=recipient)]
    if len(graph.edges):
        comm = detect_communities(graph, seed=0)
        out["communities"] = _frame(comm.membership)
        outs.append(priority_scores(ws, comm.membership[["id", "community"]], recipient=recipient))
        if len(graph.person_view().nodes) > 1:
            # (eigenvector centrality is left out: on a graph of several components any mix of the
            # components' eigenvectors is one, and the solver's pick follows the order of the rows)
            out["key_players"] = _frame(key_players(graph.person_view(), seed=0).table.drop(columns="eigenvector"))
    for o in outs:
        out[type(o).__name__] = json.loads(json.dumps(to_jsonable(o.to_dict()), sort_keys=True, default=str))
    return out


def _two_workspaces(spec, recipient, folder: Path | None = None):
    whole = build_workspace(spec, path=folder / "whole.duckdb" if folder else None)
    alone = build_workspace(spec, only_for=recipient, path=folder / "alone.duckdb" if folder else None)
    resolve(whole)
    resolve(alone)
    return whole, alone


@FEW
@given(spec=case_specs(), recipient=st.sampled_from(RECIPIENTS))
def test_every_api_output_for_a_recipient_is_the_output_of_its_records_alone(spec, recipient):
    whole, alone = _two_workspaces(spec, recipient)
    try:
        assert _outputs(whole, recipient) == _outputs(alone, recipient)
    finally:
        whole.close()
        alone.close()


def _cli_json(argv: list[str], ws_file: Path) -> tuple[int, str]:
    code, text = _main_output(argv[:1] + ["-w", str(ws_file)] + argv[1:] + ["--json"])
    # the only legitimate difference: the workspace's own file name
    return code, text.replace(str(ws_file), "WS").replace(ws_file.name, "WS")


CLI = [["centrality", "--top", "50"], ["disrupt", "--steps", "3"], ["jurisdictions"], ["jit"],
       ["priorities", "--min-size", "1"]]
# one text format, one JSON format with its own ids and markings, one spreadsheet (the API test covers
# the graph every format is written from)
CLI_FORMATS = ("gexf", "stix", "xlsx")


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(spec=case_specs(), recipient=st.sampled_from(RECIPIENTS))
def test_every_command_with_recipient_prints_the_json_of_the_recipients_records_alone(spec, recipient):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        whole, alone = _two_workspaces(spec, recipient, folder)
        whole.close()
        alone.close()
        for argv in CLI[2:]:
            args = argv + ["--recipient", recipient]
            assert _cli_json(args, folder / "whole.duckdb") == _cli_json(args, folder / "alone.duckdb"), argv
        for fmt in CLI_FORMATS:
            outs = []
            for name in ("whole", "alone"):
                target = folder / name / f"case.{fmt}"
                code, _ = _cli_json(["export", "--format", fmt, "--out", str(target), "--recipient", recipient],
                                    folder / f"{name}.duckdb")
                outs.append((code, [(p.name, p.read_bytes()) for p in sorted((folder / name).glob("case*"))]))
                for p in (folder / name).glob("case*"):
                    p.unlink()
            assert outs[0] == outs[1], fmt


def test_pack_for_a_recipient_is_the_pack_of_its_records_alone(tmp_path):
    """The briefing pack for NL is byte for byte the pack of a case that held only NL's records (on a
    case where NL may receive some of Germany's records, not all, and none of Luxembourg's, whose
    records share a phone with NL's), and the Luxembourg canaries are in none of its files."""
    from netintel.brief import _brief_workspace

    spec = _canary_spec()
    whole = build_workspace(spec)
    alone = build_workspace(spec, only_for="NL")
    view = restricted_workspace(whole, "NL", resolve=False)
    packs = []
    for name, ws in (("whole", view), ("alone", alone)):
        packs.append(_brief_workspace(ws, tmp_path / name, [], recipient="NL", seed=0, top_communities=2,
                                      min_share=0.8, pseudonyms=False, case_title="t"))
    a, b = ({f["file"]: f["sha256"] for f in p.manifest["outputs"]} for p in packs)
    assert set(a) == set(b) and len(a) > 20
    assert sorted(f for f in a if a[f] != b[f]) == []
    assert packs[0].manifest == packs[1].manifest
    pd.testing.assert_frame_equal(packs[0].communities, packs[1].communities)
    assert_no_canary(written_texts([tmp_path / "whole"]), canary_agency())
    for ws in (whole, alone, view):
        ws.close()


# --------------------------------------------------------------------------------------------
# Canary
# --------------------------------------------------------------------------------------------
def _canary_spec(*, restricted: bool = True, handling: str = "TLP:AMBER", releasable: list | None = None) -> dict:
    """A small case in which a Luxembourg agency's records (names, numbers, file name, agency name:
    the canaries) share a phone with the Dutch agency's, so that structure could carry them too."""
    c = canary_agency()
    rel = ["LU"] if restricted else ["PARTNERS"]
    nl = {"agency": "Agency NL", "country": "NL", "persons": 3, "phones": ["+31612345670", "+31612345671"],
          "accounts": ["NL91ABNA0417164300"], "nationality": ["NL", "TR", "NL"],
          "prov": [("TLP:AMBER", ["PARTNERS"])] * 6,
          "links": [(0, 3, "uses", "TLP:AMBER", ["PARTNERS"]), (1, 4, "uses", "TLP:AMBER", ["PARTNERS"]),
                    (3, 4, "call", "TLP:AMBER", ["PARTNERS"]), (4, 3, "call", "TLP:AMBER", ["PARTNERS"]),
                    (2, 5, "owns", "TLP:GREEN", ["*"]), (0, 1, "associate_of", "TLP:AMBER", ["PARTNERS"]),
                    (1, 2, "associate_of", "TLP:AMBER", ["PARTNERS"])]}
    de = {"agency": "Agency DE", "country": "DE", "persons": 2, "phones": ["+31612345671", "+4915112345670"],
          "accounts": ["DE89370400440532013000"], "nationality": ["DE", "AL"],
          "prov": [("H1", ["PARTNERS"]), ("TLP:AMBER", ["DE"]), ("TLP:AMBER", ["PARTNERS"]),
                   ("TLP:AMBER", ["PARTNERS"]), ("TLP:GREEN", ["*"])],
          "links": [(0, 2, "uses", "TLP:AMBER", ["PARTNERS"]), (1, 3, "uses", "TLP:AMBER", ["DE"]),
                    (2, 3, "call", "H1", ["PARTNERS"]), (3, 2, "call", "TLP:AMBER", ["PARTNERS"]),
                    (0, 4, "owns", "TLP:GREEN", ["*"]), (0, 1, "associate_of", "TLP:AMBER", ["DE"]),
                    (4, 4, "transfer", "TLP:GREEN", ["*"])]}
    lu = {"agency": c.agency, "country": c.country, "file": c.files[0], "persons": 2, "names": list(c.names),
          "phones": list(c.numbers) + ["+31612345670"], "accounts": [], "nationality": ["LU", "NL"],
          "prov": [(handling, releasable or rel)] * 5,
          "links": [(0, 2, "uses", handling, releasable or rel), (1, 3, "uses", handling, releasable or rel),
                    (0, 4, "uses", handling, releasable or rel), (2, 4, "call", handling, releasable or rel),
                    (0, 1, "associate_of", handling, releasable or rel)]}
    return {"agencies": [nl, de, lu]}


def _main_output(argv: list[str]) -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(argv)
    return code, buf.getvalue()


def _write_every_output(ws_file: Path, recipient: str, out: Path, *, pack: bool = False) -> list[tuple[Path, str]]:
    """Every export format and every --recipient command's JSON (and with ``pack`` the briefing
    pack), written under ``out``; returns the texts of every file written."""
    from netintel.brief import _brief_workspace
    from netintel.workspace import Workspace

    out.mkdir(parents=True, exist_ok=True)
    if pack:
        with Workspace(ws_file, read_only=True) as ws:
            view = restricted_workspace(ws, recipient, resolve=False)
            resolve(view)
            _brief_workspace(view, out / "pack", [], recipient=recipient, seed=0, top_communities=3,
                             min_share=0.8, pseudonyms=False, case_title="canary")
            view.close()
    for fmt in FORMATS:
        code, text = _main_output(["export", "-w", str(ws_file), "--format", fmt, "--out",
                                   str(out / "export" / f"case.{fmt}"), "--recipient", recipient, "--json"])
        assert code == 0, text
    for argv in CLI:
        code, text = _main_output(argv[:1] + ["-w", str(ws_file)] + argv[1:] + ["--recipient", recipient, "--json"])
        (out / f"{argv[0]}.json").write_text(text + f"\nexit {code}", "utf-8")
    return list(written_texts([out]))


def _api_outputs(ws, recipient: str, out: Path) -> list[tuple[Path, str]]:
    """Every export format and the cooperation outputs' JSON through the Python API, under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    graph = build_graph(ws, recipient=recipient)
    for fmt in FORMATS:
        export_graph(graph, out / f"case.{fmt}", format=fmt, recipient=recipient)
    (out / "outputs.json").write_text(json.dumps(_outputs(ws, recipient), default=str), "utf-8")
    return list(written_texts([out]))


@pytest.fixture(scope="module")
def canary_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("canary")
    ws = build_workspace(_canary_spec(), path=folder / "case.duckdb")
    resolve(ws)
    ws.close()
    return folder / "case.duckdb"


@pytest.mark.parametrize("recipient", ["NL", "DE", "BE"])
def test_canary_of_a_restricted_agency_is_in_no_output_for_anyone_else(canary_file, recipient, tmp_path):
    texts = _write_every_output(canary_file, recipient, tmp_path / recipient)
    assert len({f for f, _ in texts}) >= 14  # every export and command output was written
    assert_no_canary(texts, canary_agency())


def test_canary_harness_finds_the_canary_in_every_kind_of_file_made_for_its_own_country(canary_file, tmp_path):
    """The harness is worth its zero hits: in the outputs for Luxembourg itself it finds the canaries
    in PDF (charts and summary), SVG, HTML, CSV, XLSX, JSON and XML files."""
    c = canary_agency()
    texts = _write_every_output(canary_file, "LU", tmp_path / "LU", pack=True)
    by_kind: dict[str, list] = {}
    for f, t in texts:
        by_kind.setdefault(f.suffix, []).append((f, t))
    for suffix in (".pdf", ".svg", ".html", ".csv", ".xlsx", ".json", ".gexf", ".graphml"):
        assert_found(by_kind[suffix], [c.names[0]])
    assert_found(texts, [c.agency, c.numbers[0]])


@FEW
@given(handling=st.sampled_from(["TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED", "H2", "H3", "5x5x5:4", "3x5x2:C"]),
       releasable=st.sampled_from([["LU"], [], ["LU", "US"]]), recipient=st.sampled_from(["NL", "DE", "FR"]))
def test_canary_under_random_restrictions_reaches_no_other_recipients_outputs(handling, releasable, recipient):
    ws = build_workspace(_canary_spec(handling=handling, releasable=releasable))
    try:
        resolve(ws)
        with tempfile.TemporaryDirectory() as tmp:
            assert_no_canary(_api_outputs(ws, recipient, Path(tmp)), canary_agency())
    finally:
        ws.close()


# --------------------------------------------------------------------------------------------
# The restricted workspace itself
# --------------------------------------------------------------------------------------------
def test_restricted_workspace_holds_only_what_the_recipient_may_receive_and_says_so():
    spec = _canary_spec()
    ws = build_workspace(spec)
    resolve(ws)
    view = restricted_workspace(ws, "nl")
    assert view.restricted_for == "NL" and restricted_workspace(view, "NL") is view
    assert canary_agency().agency not in set(view.sources()["agency"])
    assert view.partners() == {"NL", "DE"} and bool(view.releasable_mask(view.entities(), "NL").all())
    assert view.counts()["audit"] == 1  # its own resolution run only: the case's audit names every file
    with pytest.raises(ReleasabilityError, match="view for NL"):
        restricted_workspace(view, "DE")
    assert view_for_recipient(ws, "NL") is view_for_recipient(ws, "NL")  # built once per state
    for bad in ("NLD", "../../X", "XX", "UK", "", None):
        with pytest.raises(CountryCodeError):
            restricted_workspace(ws, bad)
        with pytest.raises(NetintelError):
            build_graph(ws, recipient=bad) if bad else restricted_workspace(ws, bad)
    view.close()
    ws.close()


@pytest.mark.parametrize("argv", [
    ["export", "--format", "gexf", "--out", "OUT/x.gexf", "--recipient", "NLD"],
    ["export", "--format", "gexf", "--out", "OUT/x.gexf", "--recipient", "../../X"],
    ["centrality", "--recipient", "XX"],
    ["priorities", "--recipient", "nld"],
    ["jit", "--recipient", "EU"],
    ["mla", "--country", "XX"],
    ["mla", "--country", "DE", "--requesting", "NLD"],
])
def test_bad_country_codes_are_refused_with_exit_2_naming_the_value(canary_file, argv, tmp_path, capsys):
    argv = [a.replace("OUT", str(tmp_path)) for a in argv]
    with pytest.raises(SystemExit) as exit_:
        main(argv[:1] + ["-w", str(canary_file)] + argv[1:])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    bad = argv[argv.index(next(a for a in argv if a in ("NLD", "../../X", "XX", "nld", "EU")))]
    assert repr(bad) in err and "ISO 3166-1 alpha-2" in err
    assert not list(tmp_path.iterdir()), "nothing written"
