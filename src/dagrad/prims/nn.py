"""Neural-network primitives whose composite form would be unstable or lose torch's node names."""
from ._prim import prim


def _log_softmax(xp, x, dim):
    m = xp.max(x, axis=dim, keepdims=True) if x.size else 0
    s = x - m
    return s - xp.log(xp.sum(xp.exp(s), axis=dim, keepdims=True))


def _softmax(xp, x, dim):
    m = xp.max(x, axis=dim, keepdims=True) if x.size else 0
    e = xp.exp(x - m)
    return e / xp.sum(e, axis=dim, keepdims=True)


# d log_softmax: g - softmax * sum(g)
log_softmax = prim("LogSoftmaxBackward0", _log_softmax,
                   lambda g, out, x, dim: g - out.exp() * g.sum(dim, keepdim=True), save_out=True, promote="float")
# d softmax: out * (g - sum(g * out))
softmax = prim("SoftmaxBackward0", _softmax,
               lambda g, out, x, dim: out * (g - (g * out).sum(dim, keepdim=True)), save_out=True, promote="float")


def _mse(xp, x, y, reduction):
    d = (x - y) ** 2
    return d.mean() if reduction == "mean" else d.sum() if reduction == "sum" else d


def _mse_grad(g, x, y, reduction, sign):
    scale = 2.0 / x.numel() if reduction == "mean" else 2.0
    return (x - y) * (g * (scale * sign))


mse_loss = prim("MseLossBackward0", _mse,
                lambda g, out, x, y, reduction: _mse_grad(g, x, y, reduction, 1.0),
                lambda g, out, x, y, reduction: _mse_grad(g, x, y, reduction, -1.0), save="xy")
