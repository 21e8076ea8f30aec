"""Train an MLP and a small CNN on scikit-learn's handwritten digits (8x8, 1,797 images; no download)."""
import time

import numpy as np

import dagrad as torch
from dagrad import nn
from dagrad.utils.data import DataLoader, TensorDataset


def load_digits(seed, test_fraction=0.2):
    """The digits as float32 images in [0, 1] with int64 labels, split into train and test sets."""
    from sklearn.datasets import load_digits as sk_digits
    data = sk_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None, :, :]
    y = data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(len(y) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return (torch.from_numpy(x[train]), torch.from_numpy(y[train])), (torch.from_numpy(x[test]), torch.from_numpy(y[test]))


def make_mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def make_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),      # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # 32 x 2 x 2
        nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y).item()
        acc = (logits.argmax(1) == y).float().mean().item()
    model.train()
    return loss, acc


def train(name, model, train_set, test_set, epochs, seed, quiet, lr=2e-3, batch_size=32):
    """Train with Adam; return the per-epoch history and the seconds it took."""
    torch.manual_seed(seed)
    loader = DataLoader(TensorDataset(*train_set), batch_size=batch_size, shuffle=True)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(epochs, 1))
    loss_fn = nn.CrossEntropyLoss()
    history = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        bar = _progress(loader, f"{name} epoch {epoch:2d}/{epochs}", quiet)
        total, correct, seen = 0.0, 0, 0
        for xb, yb in bar:
            opt.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(yb)
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{total / seen:.4f}", acc=f"{correct / seen:.3f}")
        sched.step()
        test_loss, test_acc = evaluate(model, *test_set)
        history["train_loss"].append(total / seen)
        history["train_acc"].append(correct / seen)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        if hasattr(bar, "set_postfix"):
            bar.write(f"{name} epoch {epoch:2d}: train loss {total / seen:.4f}  test acc {test_acc:.4f}")
    return history, time.perf_counter() - start


def _progress(iterable, desc, quiet):
    if quiet:
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:  # the progress bar is an extra; training works without it
        return iterable
    return tqdm(iterable, desc=desc, leave=False, ncols=88)


def plot_history(histories, path):
    """training.png: loss and accuracy per epoch for each model."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for name, h in histories.items():
        epochs = range(1, len(h["train_loss"]) + 1)
        ax1.plot(epochs, h["train_loss"], label=f"{name} train")
        ax1.plot(epochs, h["test_loss"], "--", label=f"{name} test")
        ax2.plot(epochs, h["train_acc"], label=f"{name} train")
        ax2.plot(epochs, h["test_acc"], "--", label=f"{name} test")
    ax1.set(title="cross-entropy loss", xlabel="epoch", yscale="log")
    ax2.set(title="accuracy", xlabel="epoch")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("dagrad demo: handwritten digits (scikit-learn, 8x8)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
