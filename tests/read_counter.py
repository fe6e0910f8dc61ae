"""A workspace that notes every read of its record tables: to check that a step takes the frames
it is given instead of reading the workspace again."""

from __future__ import annotations


class ReadCounter:
    """Wraps a workspace; ``reads`` lists every ``entities``/``links``/``events``/``resolved_ids`` read."""

    def __init__(self, ws):
        self._ws, self.reads = ws, []

    def __getattr__(self, name):
        attr = getattr(self._ws, name)
        if name in ("entities", "links", "events", "resolved_ids"):
            def counted(*args, **kwargs):
                self.reads.append(name)
                return attr(*args, **kwargs)
            return counted
        return attr


def workspace_tables(ws):
    """The frames a briefing reads once and hands to every step."""
    return {"entities": ws.entities(), "links": ws.links(), "events": ws.events(), "resolved_ids": ws.resolved_ids()}
