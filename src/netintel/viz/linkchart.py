"""The link chart: i2-style picture of who is tied to whom, legible on a slide.

A marker shape per entity kind, a colour per community, a line style per link kind, line width by
tie strength, the country beside each label, labels pushed apart so they do not overlap, and a
legend. Above ``max_nodes`` entities the chart aggregates by default (communities become single
nodes sized by membership, or only the top entities are kept) and says so in its footer.

Examples
--------
>>> import pandas as pd
>>> nodes = pd.DataFrame({"id": ["a", "b", "c"], "kind": ["person", "person", "phone"],
...                       "label": ["Ann", "Bob", "+31 6 1"], "countries": [["NL"], ["BE"], ["NL"]]})
>>> edges = pd.DataFrame({"source": ["a", "a"], "target": ["b", "c"], "kind": ["associate_of", "uses"],
...                       "weight": [3.0, 1.0]})
>>> fig = link_chart(nodes, edges, communities={"a": 0, "b": 0, "c": 1}, title="Tiny", caveat="TLP:AMBER")
>>> fig.axes[0].get_title() == ""
True
"""

from __future__ import annotations

from typing import Any, Mapping

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .style import PALETTE, briefing_figure, finish, link_colour

__all__ = ["link_chart", "KIND_MARKERS", "LINK_STYLES", "display_label"]

KIND_MARKERS: dict[str, str] = {
    "person": "o", "organisation": "s", "phone": "^", "email": "v", "bank_account": "D", "crypto_wallet": "d",
    "vehicle": "P", "vessel": "X", "address": "h", "location": "H", "identity_document": "p", "domain": "*",
    "ip_address": "8", "url": "$\\oplus$", "malware": ">", "tool": "<", "threat_actor": "$\\Psi$",
}
LINK_STYLES: dict[str, str] = {
    "call": "-", "message": "-", "transfer": "--", "owns": ":", "uses": ":", "member_of": "-.",
    "associate_of": "-", "family_of": "-", "directs": "-.", "controls": "-.", "resides_at": ":",
}


def display_label(kind: str, label: Any) -> str:
    """How an entity is named on a chart: phone numbers in ``phonenumbers``' INTERNATIONAL format
    ("+31 6 12345678", whichever way the partner wrote it), every label printable.

    >>> display_label("phone", "0031612345678")
    '+31 6 12345678'
    """
    from .._text import printable
    from ..resolve.normalize import phone_e164
    from ..search import format_phone

    text = str(printable(label if label is not None and label == label else "", keep_newlines=False))
    if kind == "phone":
        e164 = phone_e164(text)
        return format_phone(e164) if e164 else text
    return text


def _layout(g: nx.Graph, seed: int) -> dict[Any, np.ndarray]:
    """Kamada-Kawai per component (it reads well on link charts), components packed in shelves.

    Each component gets a square whose side grows with the square root of its size; squares are
    placed left to right in rows about 16:9 wide, biggest first, so the main network fills the page.
    """
    if g.number_of_nodes() == 0:
        return {}
    comps = sorted(nx.connected_components(g), key=lambda c: (-len(c), min(map(str, c))))
    sides = [np.sqrt(len(c)) for c in comps]
    row_width = max(sides[0] * 1.9, np.sqrt(sum(s * s for s in sides)) * 1.6)
    pos: dict[Any, np.ndarray] = {}
    x = y = row_height = 0.0
    for comp, side in zip(comps, sides):
        if x > 0 and x + side > row_width:
            x, y, row_height = 0.0, y - row_height - 0.4, 0.0
        sub = g.subgraph(comp)
        if len(comp) == 1:
            local = {next(iter(comp)): np.zeros(2)}
        elif len(comp) <= 300:
            start = nx.spring_layout(sub, seed=seed)
            local = nx.kamada_kawai_layout(sub, pos=start, weight=None)
        else:
            local = nx.spring_layout(sub, seed=seed, weight="weight", k=1.5 / np.sqrt(len(comp)))
        arr = np.array(list(local.values()), dtype=float)
        lo, span = arr.min(axis=0), np.ptp(arr, axis=0).max() or 1.0
        for node, xy in local.items():
            pos[node] = (np.asarray(xy) - lo) / span * side * 0.9 + np.array([x, y - side])
        x += side + 0.4
        row_height = max(row_height, side)
    return pos


def _spread_labels(ax, pos: Mapping[Any, np.ndarray], labels: Mapping[Any, str], iterations: int = 150) -> None:
    """Place labels above their nodes and push overlapping ones apart vertically.

    Overlap is judged on boxes the size of the text (labels are wide and short), in data units
    estimated from the axes' span, so the same input always gives the same placement.
    """
    keys = list(labels)
    if not keys:
        return
    xy = np.array([pos[k] for k in keys], dtype=float)
    allxy = np.array(list(pos.values()), dtype=float)
    xspan = max(np.ptp(allxy[:, 0]), 1e-9) * 1.1
    yspan = max(np.ptp(allxy[:, 1]), 1e-9) * 1.1
    char_w = xspan * 0.0062  # an 8 pt character on a 16:9 slide-wide axes
    height = yspan * 0.03
    widths = np.array([len(labels[k]) * char_w for k in keys])
    lab = xy + np.array([0.0, height * 0.6])
    for _ in range(iterations):
        dx = np.abs(lab[:, None, 0] - lab[None, :, 0])
        dy = lab[:, None, 1] - lab[None, :, 1]
        need_x = (widths[:, None] + widths[None, :]) / 2
        overlap = (dx < need_x) & (np.abs(dy) < height)
        np.fill_diagonal(overlap, False)
        if not overlap.any():
            break
        push = np.where(overlap, (height - np.abs(dy)) * np.where(dy >= 0, 1, -1), 0.0)
        # ties (identical positions) are broken by index order so that the result is deterministic
        ties = overlap & (dy == 0)
        push += np.where(ties, np.where(np.arange(len(keys))[:, None] > np.arange(len(keys))[None, :], height, 0), 0)
        lab[:, 1] += 0.5 * push.sum(axis=1)
    for k, (x, y), (nx_, ny_) in zip(keys, lab, xy):
        far = abs(y - ny_) > height * 1.2
        ax.annotate(labels[k], xy=(nx_, ny_), xytext=(x, y), fontsize=8, ha="center", va="bottom",
                    arrowprops={"arrowstyle": "-", "color": "#AAAAAA", "lw": 0.5} if far else None)


def link_chart(nodes: pd.DataFrame, edges: pd.DataFrame, *, communities: Mapping[Any, Any] | None = None,
               title: str = "Link chart", caveat: str | None = None, source: str | None = None,
               date: str | None = None, pseudonyms: Mapping[Any, str] | None = None, max_nodes: int = 120,
               aggregate: str = "community", max_labels: int = 60, seed: int = 0) -> Figure:
    """Draw a link chart.

    Parameters
    ----------
    nodes : DataFrame with ``id, kind, label`` and optionally ``countries``
    edges : DataFrame with ``source, target, kind, weight``
    communities : id -> community, for colours
    pseudonyms : id -> pseudonym shown instead of the label
    max_nodes : above this the chart aggregates (``aggregate="community"``) or keeps the
        ``max_nodes`` entities with the most ties (``aggregate="top"``), and says so
    seed : layout seed (same input, same picture)
    """
    note = None
    nodes = nodes.copy()
    edges = edges.copy()
    communities = dict(communities or {})
    if len(nodes) > max_nodes:
        if aggregate == "community" and communities:
            nodes, edges, note = _aggregate(nodes, edges, communities)
            communities = {i: i for i in nodes["id"]}
        else:
            deg = pd.concat([edges["source"], edges["target"]]).value_counts()
            keep = set(deg.index[:max_nodes])
            note = f"showing the {len(keep)} most connected of {len(nodes)} entities"
            nodes = nodes[nodes["id"].isin(keep)]
            edges = edges[edges["source"].isin(keep) & edges["target"].isin(keep)]
    g = nx.Graph()
    g.add_nodes_from(nodes["id"])
    for s, t, w in zip(edges["source"], edges["target"], edges.get("weight", pd.Series([1.0] * len(edges)))):
        if s in g and t in g and s != t:
            g.add_edge(s, t, weight=float(w) if w == w else 1.0)
    pos = _layout(g, seed)
    kinds = dict(zip(nodes["id"], nodes["kind"]))
    fig, ax = briefing_figure(title, caveat=caveat)
    ax.set_axis_off()
    wmax = max([float(w) for w in edges.get("weight", pd.Series([1.0]))] + [1.0])
    known = set(edges["kind"]) if len(edges) else set()
    colour_of = {k: link_colour(k, known) for k in known}
    for kind, group in edges.groupby("kind", sort=True):
        style = LINK_STYLES.get(kind, "-")
        for s, t, w in zip(group["source"], group["target"], group.get("weight", pd.Series([1.0] * len(group)))):
            if s in pos and t in pos:
                width = 0.6 + 3.4 * np.sqrt(float(w) / wmax) if w == w else 0.6
                ax.plot([pos[s][0], pos[t][0]], [pos[s][1], pos[t][1]], linestyle=style, color=colour_of[kind],
                        linewidth=width, alpha=0.7, zorder=1)
    comm_ids = sorted({communities.get(i) for i in nodes["id"] if communities.get(i) is not None}, key=str)
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(comm_ids)}
    size = {n: 80 + 25 * min(g.degree(n), 20) for n in g}
    for kind, group in nodes.groupby("kind", sort=True):
        ids = [i for i in group["id"] if i in pos]
        if not ids:
            continue
        ax.scatter([pos[i][0] for i in ids], [pos[i][1] for i in ids], s=[size[i] for i in ids],
                   marker=KIND_MARKERS.get(kind, "o"), c=[colour.get(communities.get(i), "#BBBBBB") for i in ids],
                   edgecolors="#222222", linewidths=0.6, zorder=2)
    labels = {}
    labelled = set(pos)
    if len(pos) > max_labels:
        # Crowded: name the persons and organisations with the most ties, and say so.
        rank = sorted(pos, key=lambda n: (-(g.degree(n) + (100 if kinds.get(n) in ("person", "organisation") else 0)), str(n)))
        labelled = set(rank[:max_labels])
        note = "; ".join(x for x in (note, f"labels on the {max_labels} most connected of {len(pos)} entities") if x)
    for _, row in nodes.iterrows():
        if row["id"] not in labelled:
            continue
        name = (pseudonyms or {}).get(row["id"]) or display_label(row["kind"], row.get("label") or row["id"])
        countries = row.get("countries") if "countries" in row.index else None
        cc = ",".join(countries[:2]) if isinstance(countries, (list, tuple, np.ndarray)) and len(countries) else ""
        labels[row["id"]] = f"{name} ({cc})" if cc else str(name)
    _spread_labels(ax, pos, labels)
    handles = [Line2D([], [], marker=KIND_MARKERS.get(k, "o"), linestyle="", color="#666666", label=k.replace("_", " "))
               for k in sorted(nodes["kind"].unique())]
    handles += [Line2D([], [], linestyle=LINK_STYLES.get(k, "-"), color=colour_of[k], lw=2, label=k.replace("_", " "))
                for k in sorted(edges["kind"].unique())] if len(edges) else []
    handles += [Line2D([], [], marker="o", linestyle="", color=colour[c], label=f"community {c}") for c in comm_ids[:8]]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9)
    fig.subplots_adjust(right=0.82)
    return finish(fig, source=source, date=date, note=note)


def _aggregate(nodes: pd.DataFrame, edges: pd.DataFrame, communities: Mapping[Any, Any]):
    comm = nodes["id"].map(lambda i: communities.get(i, "unassigned"))
    sizes = comm.value_counts()
    agg_nodes = pd.DataFrame({"id": sizes.index.astype(str), "kind": "organisation",
                              "label": [f"community {c}: {n} entities" for c, n in sizes.items()]})
    idmap = dict(zip(nodes["id"], comm.astype(str)))
    e = edges.assign(source=edges["source"].map(idmap), target=edges["target"].map(idmap)).dropna(subset=["source", "target"])
    e = e[e["source"] != e["target"]]
    if "weight" not in e:
        e["weight"] = 1.0
    agg_edges = e.groupby(["source", "target"], as_index=False)["weight"].sum().assign(kind="related_to")
    note = f"aggregated: {len(nodes)} entities shown as {len(agg_nodes)} communities"
    return agg_nodes, agg_edges, note
