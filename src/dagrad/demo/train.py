"""Train an MLP and a small CNN on scikit-learn's handwritten digits (8x8, 1,797 images; no download)."""
import time

import numpy as np

import dagrad as torch
from dagrad import nn
from dagrad.utils.data import DataLoader, TensorDataset


def load_digits(test_fraction=0.2):
    """The digits as float32 images in [0, 1] with int64 labels; a fixed, class-stratified held-out test split."""
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split
    data = sk_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None, :, :]
    y = data.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=test_fraction, stratify=y, random_state=0)
    return (torch.from_numpy(xtr), torch.from_numpy(ytr)), (torch.from_numpy(xte), torch.from_numpy(yte))


class Shifted(torch.utils.data.Dataset):
    """Training images moved by up to one pixel each way (zero-filled): cheap augmentation for the CNN."""

    def __init__(self, images, labels, seed):
        self.padded = np.pad(images.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
        self.labels = labels
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        dy, dx = self.rng.integers(0, 3, 2)
        return torch.from_numpy(self.padded[i, :, dy:dy + 8, dx:dx + 8].copy()), self.labels[i]


def make_mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))


def make_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # 32 x 4 x 4
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),     # 64 x 2 x 2
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(256, 10))


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y).item()
        acc = (logits.argmax(1) == y).float().mean().item()
    model.train()
    return loss, acc


def train(name, model, train_set, test_set, epochs, seed, quiet, lr=3e-3, batch_size=32, augment=False):
    """Train with Adam and a one-cycle learning rate; return the per-epoch history and the seconds it took."""
    torch.manual_seed(seed)
    data = Shifted(*train_set, seed) if augment else TensorDataset(*train_set)
    loader = DataLoader(data, batch_size=batch_size, shuffle=True)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(epochs, 1) * len(loader))
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
            sched.step()
            total += loss.item() * len(yb)
            correct += (logits.argmax(1) == yb).sum().item()
            seen += len(yb)
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{total / seen:.4f}", acc=f"{correct / seen:.3f}")
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
    # disable=None: no bar when stdout is not a terminal (logs, pipes), the per-epoch lines still print
    return tqdm(iterable, desc=desc, leave=False, ncols=88, disable=None)


def plot_history(histories, path):
    """training.png: loss and accuracy per epoch for each model."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for (name, h), color in zip(histories.items(), ("tab:blue", "tab:red")):
        epochs = range(1, len(h["train_loss"]) + 1)
        ax1.plot(epochs, h["train_loss"], color=color, label=f"{name} train")
        ax1.plot(epochs, h["test_loss"], "--", color=color, label=f"{name} test")
        ax2.plot(epochs, h["train_acc"], color=color, label=f"{name} train")
        ax2.plot(epochs, h["test_acc"], "--", color=color, label=f"{name} test")
    ax1.set(title="cross-entropy loss", xlabel="epoch", yscale="log")
    ax2.set(title="accuracy", xlabel="epoch")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("dagrad demo: handwritten digits (scikit-learn, 8x8)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
