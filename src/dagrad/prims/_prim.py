"""The Prim record: a primitive's forward rule, its VJP rules, and what it saves for backward."""

ALL_PRIMS = []


class Prim:
    """One differentiable primitive.

    forward(xp, *arrays, **params) -> array          raw arrays in, raw array out
    vjps[i](g, out, *inputs, **params) -> Tensor     d(loss)/d(input i), written in dagrad ops
    vjp_all(g, out, needs, *inputs, **params)        alternative for variadic primitives (cat, stack)
    save: indices of the inputs the VJP rules read (others reach them as None); save_out: they read ``out``;
    save_for: {input: inputs whose gradient reads it} -- an input is then saved (and version-checked) only
    when one of those needs a gradient, as torch does (x * w saves x only if w requires grad)
    promote: "same" (inputs cast to torch's common dtype), "float" (and integers go to the default
    float dtype), or None (the forward handles dtypes); out_dtype: fixed result dtype (bool for
    comparisons); is_view: the result shares storage with input 0.
    """

    __slots__ = ("name", "forward", "vjps", "vjp_all", "save", "save_out", "promote", "out_dtype", "is_view",
                 "save_for", "__weakref__")

    def __init__(self, name, forward, vjps=None, *, save="", save_out=False, promote="same", out_dtype=None,
                 is_view=False, vjp_all=None, save_for=None):
        self.name = name
        self.forward = forward
        self.vjps = tuple(vjps) if vjps is not None else (None if vjp_all is None else ())
        self.vjp_all = vjp_all
        self.save = frozenset("xyzw".index(c) if c in "xyzw" else int(c) for c in save)
        self.save_out = save_out
        self.save_for = save_for
        self.promote = promote
        self.out_dtype = out_dtype
        self.is_view = is_view
        ALL_PRIMS.append(self)

    def __repr__(self):
        return f"<prim {self.name}>"


def prim(name, forward, *vjps, **kw):
    """Declare a primitive: ``prim("ExpBackward0", lambda xp, x: xp.exp(x), lambda g, out, x: g * out, save_out=True)``."""
    return Prim(name, forward, vjps if vjps else kw.pop("vjps", None), **kw)
