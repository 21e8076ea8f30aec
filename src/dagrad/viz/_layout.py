"""A small layered layout (root on top, leaves below) so graphs draw without the Graphviz program."""


def layered(nodes, edges):
    """Return {id: (x, y)} in box units: layer = longest path from the root; order by parents' barycentre."""
    children = {}
    for a, b, _ in edges:
        children.setdefault(a, []).append(b)
    depth = {nid: 0 for nid in nodes}
    # longest-path layering over a DAG: relax edges in topological order (Kahn)
    indeg = {nid: 0 for nid in nodes}
    for a, b, _ in edges:
        indeg[b] += 1
    order = [n for n in nodes if indeg[n] == 0]
    i = 0
    while i < len(order):
        n = order[i]
        i += 1
        for c in children.get(n, ()):
            depth[c] = max(depth[c], depth[n] + 1)
            indeg[c] -= 1
            if indeg[c] == 0:
                order.append(c)
    layers = {}
    for n in order:
        layers.setdefault(depth[n], []).append(n)
    pos = {}
    parents_of = {}
    for a, b, _ in edges:
        parents_of.setdefault(b, []).append(a)
    for d in sorted(layers):
        row = layers[d]
        if d > 0:
            row.sort(key=lambda n: sum(pos[p][0] for p in parents_of.get(n, [])) / max(len(parents_of.get(n, [])), 1))
        width = len(row)
        for k, n in enumerate(row):
            want = (sum(pos[p][0] for p in parents_of.get(n, [])) / len(parents_of[n])) if d and parents_of.get(n) else k
            pos[n] = [max(want, k - (width - 1) / 2.0 if d == 0 else want), d]
        # spread boxes of one layer at least one unit apart, keeping their order
        xs = sorted(row, key=lambda n: pos[n][0])
        for a, b in zip(xs, xs[1:]):
            if pos[b][0] < pos[a][0] + 1:
                pos[b][0] = pos[a][0] + 1
    return {n: (x, y) for n, (x, y) in pos.items()}
