"""Renderers for walked graphs: Graphviz DOT text, standalone SVG, matplotlib PNG, and a terminal tree."""
import html

from ._layout import layered

COLORS = {"root": "#c5e8a0", "op": "#e2e2e2", "leaf": "#a8d4f0"}
DOT_COLORS = {"root": "darkolivegreen1", "op": "lightgrey", "leaf": "lightblue"}
CHAR_W, LINE_H, PAD, GAP_X, GAP_Y = 7.2, 15, 8, 28, 46


def _label_lines(vn):
    return [vn.title] + [line for line in vn.detail.split("\n") if line]


def to_dot_source(nodes, edges):
    """Graphviz DOT text: arrows run from inputs to results; parameters' modules become clusters."""
    out = ["digraph {", '\tgraph [size="12,12"]',
           "\tnode [align=left fontname=monospace fontsize=10 height=0.2 ranksep=0.1 shape=box style=filled]"]
    groups = {}
    for vn in nodes.values():
        groups.setdefault(vn.group, []).append(vn)
    for k, (group, members) in enumerate(sorted(groups.items())):
        indent = "\t"
        if group:
            out.append(f"\tsubgraph cluster_{k} {{")
            out.append(f'\t\tlabel="{group}" style=dashed')
            indent = "\t\t"
        for vn in members:
            label = "\\n".join(line.replace('"', '\\"') for line in _label_lines(vn))
            out.append(f'{indent}{vn.id} [label="{label}" fillcolor={DOT_COLORS[vn.kind]}]')
        if group:
            out.append("\t}")
    for a, b, label in edges:
        out.append(f"\t{b} -> {a}" + (f' [label="{label}"]' if label else ""))
    out.append("}")
    return "\n".join(out) + "\n"


def _boxes(nodes, edges):
    pos = layered(nodes, edges)
    size = {nid: (max(len(s) for s in _label_lines(vn)) * CHAR_W + 2 * PAD, len(_label_lines(vn)) * LINE_H + PAD)
            for nid, vn in nodes.items()}
    col_w = max((w for w, _ in size.values()), default=60) + GAP_X
    row_h = max((h for _, h in size.values()), default=30) + GAP_Y
    xs = [x for x, _ in pos.values()] or [0]
    x0 = min(xs)
    centers = {nid: ((x - x0) * col_w + col_w / 2, y * row_h + row_h / 2) for nid, (x, y) in pos.items()}
    width = (max(xs) - x0 + 1) * col_w
    height = (max((y for _, y in pos.values()), default=0) + 1) * row_h
    return centers, size, width, height


def _cluster_frames(nodes, centers, size):
    """A frame (x1, y1, x2, y2) around the boxes of each module group."""
    groups = {}
    for vn in nodes.values():
        if vn.group:
            groups.setdefault(vn.group, []).append(vn.id)
    frames = {}
    for g, members in sorted(groups.items()):
        frames[g] = (min(centers[m][0] - size[m][0] / 2 for m in members) - 6,
                     min(centers[m][1] - size[m][1] / 2 for m in members) - 18,
                     max(centers[m][0] + size[m][0] / 2 for m in members) + 6,
                     max(centers[m][1] + size[m][1] / 2 for m in members) + 6)
    return frames


def to_svg(nodes, edges):
    """A standalone SVG picture (no Graphviz needed)."""
    centers, size, width, height = _boxes(nodes, edges)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="monospace" font-size="12">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
             f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>']
    # module clusters: a dashed frame around the boxes of one group
    for g, (x1, y1, x2, y2) in _cluster_frames(nodes, centers, size).items():
        parts.append(f'<rect x="{x1:.1f}" y="{y1:.1f}" width="{x2 - x1:.1f}" height="{y2 - y1:.1f}" fill="none" '
                     f'stroke="#888" stroke-dasharray="4 3" rx="6"/>')
        parts.append(f'<text x="{x1 + 4:.1f}" y="{y1 + 12:.1f}" fill="#666">{html.escape(g)}</text>')
    for a, b, _ in edges:
        (xa, ya), (xb, yb) = centers[a], centers[b]
        parts.append(f'<line x1="{xb:.1f}" y1="{yb - size[b][1] / 2:.1f}" x2="{xa:.1f}" y2="{ya + size[a][1] / 2:.1f}" '
                     'stroke="#555" stroke-width="1.2" marker-end="url(#arrow)"/>')
    for nid, vn in nodes.items():
        (cx, cy), (w, h) = centers[nid], size[nid]
        parts.append(f'<rect x="{cx - w / 2:.1f}" y="{cy - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" rx="4" '
                     f'fill="{COLORS[vn.kind]}" stroke="#333"/>')
        for k, line in enumerate(_label_lines(vn)):
            weight = ' font-weight="bold"' if k == 0 else ""
            parts.append(f'<text x="{cx:.1f}" y="{cy - h / 2 + PAD / 2 + (k + 0.8) * LINE_H:.1f}" '
                         f'text-anchor="middle"{weight}>{html.escape(line)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def to_png(nodes, edges, path, dpi=110):
    """The same picture through matplotlib (the ``demo`` extra)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch
    centers, size, width, height = _boxes(nodes, edges)
    fig = plt.figure(figsize=(max(width, 200) / 72, max(height, 100) / 72), dpi=dpi)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.axis("off")
    from matplotlib.patches import Rectangle
    for g, (x1, y1, x2, y2) in _cluster_frames(nodes, centers, size).items():
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, edgecolor="#888", linestyle="--"))
        ax.text(x1 + 4, y1 + 12, g, color="#666", family="monospace", fontsize=8)
    for a, b, _ in edges:
        (xa, ya), (xb, yb) = centers[a], centers[b]
        ax.annotate("", xy=(xa, ya + size[a][1] / 2), xytext=(xb, yb - size[b][1] / 2),
                    arrowprops=dict(arrowstyle="->", color="#555", lw=1.0))
    for nid, vn in nodes.items():
        (cx, cy), (w, h) = centers[nid], size[nid]
        ax.add_patch(FancyBboxPatch((cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0,rounding_size=4",
                                    facecolor=COLORS[vn.kind], edgecolor="#333"))
        ax.text(cx, cy, "\n".join(_label_lines(vn)), ha="center", va="center", family="monospace", fontsize=8.5)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def to_tree(nodes, edges):
    """A terminal picture: the root on top, each input indented below; shared nodes drawn once."""
    children = {}
    for a, b, _ in edges:
        children.setdefault(a, []).append(b)
    lines = []
    shown = set()
    stack = [("out", "", "", True)]
    while stack:
        nid, prefix, branch, last = stack.pop()
        vn = nodes[nid]
        text = vn.title + (f"  {vn.detail.splitlines()[0]}" if vn.detail else "")
        if nid in shown and children.get(nid):
            lines.append(f"{prefix}{branch}{text}  (shared, see above)")
            continue
        shown.add(nid)
        lines.append(f"{prefix}{branch}{text}")
        kids = children.get(nid, [])
        child_prefix = prefix + ("" if not branch else ("    " if last else "│   "))
        for k in reversed(range(len(kids))):
            is_last = k == len(kids) - 1
            stack.append((kids[k], child_prefix, "└── " if is_last else "├── ", is_last))
    return "\n".join(lines)
