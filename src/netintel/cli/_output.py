"""Printing results: tidy tables for people, JSON for scripts and CI."""

from __future__ import annotations

import json
import math
import sys
from datetime import date, datetime
from typing import Any

import pandas as pd

__all__ = ["emit", "to_jsonable", "add_workspace_arg"]


def to_jsonable(obj: Any) -> Any:
    """Turn DataFrames, numpy scalars, dates and NaN into plain JSON values."""
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return to_jsonable(obj.to_dict())
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (datetime, date, pd.Timestamp)):
        return None if pd.isna(obj) else obj.isoformat()
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):
        try:
            obj = obj.item()
        except (ValueError, AttributeError):
            obj = obj.tolist()
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    if obj is pd.NaT or obj is pd.NA:
        return None
    return obj


def emit(result: Any, *, as_json: bool, title: str | None = None, stream=None) -> None:
    """Print ``result`` as JSON (``--json``) or as a readable table."""
    stream = stream or sys.stdout
    if as_json:
        json.dump(to_jsonable(result), stream, ensure_ascii=False, indent=2)
        stream.write("\n")
        return
    if title:
        stream.write(f"{title}\n")
    if isinstance(result, pd.DataFrame):
        with pd.option_context("display.max_rows", 200, "display.max_columns", 30, "display.width", 160):
            stream.write(result.to_string(index=False) + "\n")
    else:
        stream.write(f"{result}\n")


def add_workspace_arg(parser, required: bool = True) -> None:
    parser.add_argument("--workspace", "-w", required=required, metavar="FILE",
                        help="the case workspace (a DuckDB file)")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
