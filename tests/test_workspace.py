"""The workspace's DuckDB: bounded memory, and spilling to disk past it (issue 15)."""

from __future__ import annotations

import pytest

from netintel.errors import WorkspaceError
from netintel.workspace import MEMORY_SHARE, Workspace, configure_memory


def _setting(ws: Workspace, name: str) -> str:
    return ws.con.execute(f"SELECT current_setting('{name}')").fetchone()[0]


def test_memory_limit_is_a_share_of_the_machine(monkeypatch):
    import os

    monkeypatch.delenv("NETINTEL_MEMORY_LIMIT", raising=False)
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    with Workspace() as ws:
        limit = _setting(ws, "memory_limit")  # DuckDB reports it in its own unit, e.g. "11.2 GiB"
        number, unit = limit.split()
        got = float(number) * {"MiB": 2**20, "GiB": 2**30, "KiB": 2**10}[unit]
    assert abs(got - total * MEMORY_SHARE) / (total * MEMORY_SHARE) < 0.02


def test_workspace_file_spills_beside_itself(tmp_path, monkeypatch):
    monkeypatch.setenv("NETINTEL_MEMORY_LIMIT", "64MB")
    with Workspace(tmp_path / "case.duckdb") as ws:
        assert _setting(ws, "temp_directory").endswith("case.duckdb.tmp")
        assert _setting(ws, "memory_limit") in ("61.0 MiB", "64.0 MiB", "61.0MiB", "64.0MB")
        # an aggregation whose hash table is larger than the limit completes by spilling
        n = ws.con.execute("SELECT count(*), sum(c) FROM (SELECT md5(i::VARCHAR) AS k, count(*) AS c "
                           "FROM range(1500000) t(i) GROUP BY k)").fetchone()
    assert n == (1_500_000, 1_500_000)


def test_a_bad_memory_limit_is_refused_with_the_fix(monkeypatch):
    monkeypatch.setenv("NETINTEL_MEMORY_LIMIT", "lots")
    with pytest.raises(WorkspaceError, match="NETINTEL_MEMORY_LIMIT='lots'.*like 2GB"):
        Workspace()


def test_configure_memory_returns_the_limit(monkeypatch):
    import duckdb

    monkeypatch.setenv("NETINTEL_MEMORY_LIMIT", "1GB")
    con = duckdb.connect()
    assert configure_memory(con, None) == "1GB"
    con.close()


def test_an_import_holds_duckdb_to_the_import_memory_then_gives_the_limit_back(monkeypatch):
    monkeypatch.setenv("NETINTEL_MEMORY_LIMIT", "8GB")
    monkeypatch.delenv("NETINTEL_IMPORT_MEMORY", raising=False)
    with Workspace() as ws:
        before = _setting(ws, "memory_limit")
        with ws.bounded_memory():
            assert _setting(ws, "memory_limit") == "1.8 GiB"  # 2GB, in DuckDB's unit
        assert _setting(ws, "memory_limit") == before
        with ws.bounded_memory("16GB"):  # never raised above the workspace's own limit
            assert _setting(ws, "memory_limit") == before
        monkeypatch.setenv("NETINTEL_IMPORT_MEMORY", "some")
        with pytest.raises(WorkspaceError, match="NETINTEL_IMPORT_MEMORY='some'.*like 2GB"):
            with ws.bounded_memory():
                pass
