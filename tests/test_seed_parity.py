"""Seed parity with torch: after manual_seed(s) a model has bit-identical initial weights, and training it on the
same data follows torch's loss curve."""
import numpy as np
import pytest

import dagrad
import dagrad.nn.functional as F

torch = pytest.importorskip("torch")


def needs(*names):
    missing = [n for n in names if not hasattr(F, n)]
    if missing:
        pytest.skip("dagrad.nn.functional lacks " + ", ".join(missing))


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 10))


class _Tagger:
    """A model factory with an embedding, a bilinear and a transposed convolution among others."""

    def __call__(self, lib):
        nn = lib.nn
        return nn.ModuleDict({
            "emb": nn.Embedding(50, 8, padding_idx=0),
            "conv1": nn.Conv1d(8, 6, 3, padding="same"),
            "up": nn.ConvTranspose2d(3, 2, 4, stride=2),
            "bil": nn.Bilinear(6, 5, 4),
            "norm": nn.LayerNorm(6),
            "gn": nn.GroupNorm(2, 6),
            "rms": nn.RMSNorm(6),
            "prelu": nn.PReLU(6),
            "bn": nn.BatchNorm1d(6, momentum=None),
            "head": nn.Linear(6, 3, bias=False),
        })


MODELS = {"mlp": mlp, "cnn": cnn, "tagger": _Tagger()}


def _weights(lib, make, seed):
    lib.manual_seed(seed)
    model = make(lib)
    return model, [(k, v.detach().numpy().copy()) for k, v in model.state_dict().items()]


@pytest.mark.parametrize("seed", [0, 1, 1234, 2 ** 40 + 7])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_initial_weights_bit_identical(name, seed):
    (d_model, d_w), (t_model, t_w) = _weights(dagrad, MODELS[name], seed), _weights(torch, MODELS[name], seed)
    assert [k for k, _ in d_w] == [k for k, _ in t_w]
    for (k, a), (_, b) in zip(d_w, t_w):
        assert a.dtype == b.dtype, k
        np.testing.assert_array_equal(a, b, err_msg=k)
    # both generators consumed the same number of draws
    np.testing.assert_array_equal(dagrad.rand(4).numpy(), torch.rand(4).numpy())


def test_reset_parameters_redraws_like_torch():
    def run(lib):
        lib.manual_seed(3)
        m = mlp(lib)
        lib.manual_seed(5)
        for layer in m:
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
        return [p.detach().numpy().copy() for p in m.parameters()]
    for a, b in zip(run(dagrad), run(torch)):
        np.testing.assert_array_equal(a, b)


def _data(n=256, d=784, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    w = rng.standard_normal((d, classes)).astype(np.float32) / np.sqrt(d)
    y = (x @ w + 0.1 * rng.standard_normal((n, classes))).argmax(1)
    return x, y


def _train(lib, steps, lr, loss_name, batch=32, optimizer=False, seed=0):
    lib.manual_seed(seed)
    model = mlp(lib)
    x_all, y_all = _data()
    onehot_all = lib.tensor(np.eye(10, dtype=np.float32)[y_all])
    x_all, y_all = lib.tensor(x_all), lib.tensor(y_all)
    opt = lib.optim.SGD(model.parameters(), lr=lr) if optimizer else None
    losses = []
    for step in range(steps):
        i = (step * batch) % x_all.shape[0]
        x, y = x_all[i:i + batch], y_all[i:i + batch]
        out = model(x)
        if loss_name == "mse":
            loss = lib.nn.functional.mse_loss(out, onehot_all[i:i + batch])
        else:
            loss = lib.nn.functional.cross_entropy(out, y)
        if opt is not None:
            opt.zero_grad()
        else:
            model.zero_grad()
        loss.backward()
        if opt is not None:
            opt.step()
        else:
            with lib.no_grad():
                for p in model.parameters():
                    p -= lr * p.grad
        losses.append(loss.item())
    return np.array(losses), [p.detach().numpy().copy() for p in model.parameters()]


def _check_curves(d, t):
    d_losses, d_params = d
    t_losses, t_params = t
    np.testing.assert_allclose(d_losses, t_losses, rtol=1e-4)
    for a, b in zip(d_params, t_params):
        # a ReLU unit sitting at zero may flip on rounding; weights still agree far below their 0.03 scale
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=3e-4)


def test_training_loss_curve_cross_entropy():
    needs("linear", "cross_entropy")
    d, t = _train(dagrad, 200, 0.05, "ce"), _train(torch, 200, 0.05, "ce")
    assert t[0][-1] < 0.5 * t[0][0]  # it learned something
    _check_curves(d, t)


def test_training_loss_curve_mse():
    needs("linear", "mse_loss")
    _check_curves(_train(dagrad, 80, 0.02, "mse", seed=1), _train(torch, 80, 0.02, "mse", seed=1))


def test_training_with_optim_sgd():
    needs("linear", "cross_entropy")
    if not hasattr(getattr(dagrad, "optim", None), "SGD"):
        pytest.skip("dagrad.optim.SGD not available")
    _check_curves(_train(dagrad, 25, 0.05, "ce", optimizer=True, seed=2),
                  _train(torch, 25, 0.05, "ce", optimizer=True, seed=2))


def test_cnn_training_steps_match():
    needs("conv2d", "batch_norm", "max_pool2d", "linear", "cross_entropy")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 10, 16)

    def run(lib):
        lib.manual_seed(11)
        model = cnn(lib)
        losses = []
        for _ in range(20):
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
            model.zero_grad()
            loss.backward()
            with lib.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
            losses.append(loss.item())
        model.eval()
        return np.array(losses), model(lib.tensor(x)).detach().numpy(), model[1].running_var.numpy().copy()
    for a, b in zip(run(dagrad), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_training_with_dropout_matches():
    needs("linear", "dropout", "cross_entropy")
    x, y = _data(n=64, d=20, classes=4, seed=3)

    def run(lib):
        nn = lib.nn
        lib.manual_seed(21)
        model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 4))
        losses = []
        for _ in range(30):
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(x)), lib.tensor(y))
            model.zero_grad()
            loss.backward()
            with lib.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
            losses.append(loss.item())
        model.eval()
        return np.array(losses), model(lib.tensor(x)).detach().numpy()
    for a, b in zip(run(dagrad), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
