"""What a shopper wants next from what they just did: a SASRec-style causal self-attention model
(Kang & McAuley 2018) trained with full-softmax cross-entropy over every item (Petrov &
Macdonald 2023) on each user's steps in time order.

A step is an item plus the strongest thing done to it in a row (view < click < cart < purchase,
`recommender.data.to_steps`); the event type is an input feature beside the item and its
position, counted back from the newest step as SASRec's left padding does. Input and output item
embeddings are shared. Training stops early on the last step of a quarter of the users (best
epoch kept), then learns those held-out steps too for `final_epochs` (the newest steps say the
most about what comes next); `update` continues from a checkpoint on the users who acted since. Deterministic
for a seed and thread count; training uses the machine's idle cores, scoring one thread.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from scipy import sparse

from recommender.base import Recommender
from recommender.data import EVENT_KINDS, Interactions, Steps

KIND_CODES = len(EVENT_KINDS) + 1  # 0 pads
log = logging.getLogger(__name__)


def machine_threads() -> int:
    """Cores this process may run on that are not busy already (at least one): on a shared
    machine, torch threads waiting for a busy core make training several times slower."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, round(cores - os.getloadavg()[0])))


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run a block with n intra-op threads, then restore the process's setting."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, n))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _network(items: int, hidden: int, blocks: int, heads: int, max_len: int, dropout: float, kinds: bool):
    """The torch module (built lazily so importing this file does not import torch)."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.item = nn.Embedding(items + 1, hidden, padding_idx=0)
            nn.init.normal_(self.item.weight, std=hidden ** -0.5)  # unit-scale logits at the start
            with torch.no_grad():
                self.item.weight[0].zero_()
            self.position = nn.Embedding(max_len, hidden)
            self.kind = nn.Embedding(KIND_CODES, hidden, padding_idx=0) if kinds else None
            self.dropout = nn.Dropout(dropout)
            layer = nn.TransformerEncoderLayer(hidden, heads, hidden, dropout, batch_first=True, norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, blocks, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(hidden)
            self.scale = hidden ** 0.5

        def forward(self, seq: torch.Tensor, kind: torch.Tensor) -> torch.Tensor:
            """(batch, length) right-padded steps → (batch, length, hidden) causal states.

            Positions count back from each row's last step (the last is max_len − 1), as SASRec's
            left padding has them, so the newest step always carries the same position."""
            length = seq.shape[1]
            start = max_len - (seq > 0).sum(dim=1, keepdim=True)
            where = (start + torch.arange(length)).clamp(0, max_len - 1)
            x = self.item(seq) * self.scale + self.position(where)
            if self.kind is not None:
                x = x + self.kind(kind)
            mask = torch.triu(torch.full((length, length), float("-inf")), diagonal=1)
            return self.norm(self.encoder(self.dropout(x), mask=mask, is_causal=True))

        def logits(self, states: torch.Tensor) -> torch.Tensor:
            """Scores over every item (padding row left out) from shared embeddings."""
            return states @ self.item.weight[1:].T

    return Net()


class SASRec(Recommender):
    """Next-item model over ordered steps; `score_steps` is the call that uses the order."""

    name = "sequential"

    def __init__(self, hidden: int = 64, blocks: int = 2, heads: int = 1, max_len: int = 50,
                 dropout: float = 0.2, epochs: int = 15, patience: int = 3, batch_size: int = 64,
                 lr: float = 2e-3, kinds: bool = True, update_epochs: int = 2, validation: float = 0.25,
                 final_epochs: int = 2, seed: int = 7, threads: int = 0) -> None:
        self.hidden, self.blocks, self.heads, self.max_len = hidden, blocks, heads, max_len
        self.dropout, self.epochs, self.patience, self.batch_size = dropout, epochs, patience, batch_size
        self.lr, self.kinds, self.update_epochs, self.seed = lr, kinds, update_epochs, seed
        self.validation = validation  # share of users whose last step stops training early
        self.final_epochs = final_epochs  # after early stopping, epochs with the held-out steps back in
        self.threads = threads  # training threads; 0: the machine's idle cores
        self.items: list[str] = []
        self.net = None
        self._last: tuple | None = None  # (steps key, scores) of the latest call
        self.trained_epochs = 0
        self.log: list[dict] = []  # per epoch: loss, validation NDCG@10, seconds

    def params(self) -> dict[str, Any]:
        return {"hidden": self.hidden, "blocks": self.blocks, "heads": self.heads, "max_len": self.max_len,
                "dropout": self.dropout, "epochs": self.epochs, "patience": self.patience,
                "batch_size": self.batch_size, "lr": self.lr, "kinds": self.kinds,
                "update_epochs": self.update_epochs, "validation": self.validation,
                "final_epochs": self.final_epochs, "seed": self.seed,
                "threads": self.threads}

    # -- training ----------------------------------------------------------------------------
    def fit(self, data: Interactions) -> "SASRec":
        """Full fit from scratch on every user's steps, early-stopped on a `validation` share's last
        step, then `final_epochs` more with those steps learnt too (MovieLens-100K NDCG@10 0.1035 →
        0.1108 with 2, README)."""
        import torch

        self.items = list(data.items)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.net = _network(len(self.items), self.hidden, self.blocks, self.heads, self.max_len,
                                self.dropout, self.kinds)
            self.trained_epochs, self.log = 0, []
            self._train(data.steps, self.epochs, self.patience, validate=True)
            if self.validation > 0 and self.patience > 0:
                self._train(data.steps, self.final_epochs, patience=0, validate=False)
        return self

    def update(self, data: Interactions, users: set[int]) -> "SASRec":
        """Continue from this checkpoint on the users who acted since, plus a replay sample of others
        (4× as many, at least 256, so the rest is not forgotten), for `update_epochs`; a changed item
        list means a full fit."""
        import torch

        if list(data.items) != self.items or self.net is None:
            return self.fit(data)
        rng = np.random.default_rng(self.seed + self.trained_epochs)
        others = [u for u in range(len(data.steps)) if u not in users and len(data.steps[u]) > 1]
        replay = rng.choice(others, min(len(others), max(256, 4 * len(users))), replace=False) if others else []
        chosen = [data.steps[u] for u in sorted(users) if u < len(data.steps)] + [data.steps[u] for u in replay]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed + self.trained_epochs)
            self._train(chosen, self.update_epochs, patience=0, validate=False)
        return self

    def _windows(self, steps: list[Steps], validate: bool) -> tuple[np.ndarray, ...]:
        """Training windows (inputs, kinds, targets; right-padded) and validation rows.

        A sequence longer than max_len + 1 is cut into windows whose targets do not overlap;
        with `validate`, the last step of a `validation` share of users (with three or more) is
        held out as the target of their earlier steps on other items."""
        length = self.max_len
        inputs, kinds, targets, valid = [], [], [], []
        chosen = np.random.default_rng(self.seed).random(len(steps)) < self.validation
        for s, held in zip(steps, chosen):
            items, codes = s.items + 1, s.kinds.astype(np.int64)
            if validate and held and len(items) >= 3:
                # As in leave-last-out: the held-out item does not appear in its own input.
                keep = items[:-1] != items[-1]
                if keep.any():
                    valid.append((items[:-1][keep][-length:], codes[:-1][keep][-length:], items[-1]))
                items, codes = items[:-1], codes[:-1]
            end = len(items)
            while end > 1:
                start = max(0, end - length - 1)
                inputs.append(items[start:end - 1])
                kinds.append(codes[start:end - 1])
                targets.append(items[start + 1:end])
                end = start + 1 if start > 0 else 0
        return _pad(inputs), _pad(kinds), _pad(targets), valid

    def _train(self, steps: list[Steps], epochs: int, patience: int, validate: bool) -> None:
        import torch
        import torch.nn.functional as F

        self._last = None
        seq, kind, target, valid = self._windows(steps, validate and patience > 0)
        if not len(seq):
            return
        lengths = (seq > 0).sum(axis=1)
        optimiser = torch.optim.Adam(self.net.parameters(), lr=self.lr, betas=(0.9, 0.98))
        rng = np.random.default_rng(self.seed + self.trained_epochs)
        best, best_state, stale = -1.0, None, 0
        with torch_threads(self.threads or machine_threads()):
            for _ in range(epochs):
                started = time.perf_counter()
                self.net.train()
                order = rng.permutation(len(seq))
                total, count = 0.0, 0
                for b in range(0, len(order), self.batch_size):
                    rows = order[b:b + self.batch_size]
                    width = int(lengths[rows].max())
                    x = torch.from_numpy(seq[rows, :width])
                    k = torch.from_numpy(kind[rows, :width])
                    y = torch.from_numpy(target[rows, :width])
                    keep = y > 0
                    states = self.net(x, k)[keep]
                    loss = F.cross_entropy(self.net.logits(states), y[keep] - 1)
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                    total += float(loss.detach()) * int(keep.sum())
                    count += int(keep.sum())
                self.trained_epochs += 1
                entry = {"epoch": self.trained_epochs, "loss": round(total / max(count, 1), 4)}
                if valid:
                    entry["valid_ndcg"] = round(self._validation_ndcg(valid), 4)
                entry["seconds"] = round(time.perf_counter() - started, 2)
                self.log.append(entry)
                log.info("sequential epoch %s", entry)
                if not valid:
                    continue
                if entry["valid_ndcg"] > best:
                    best, stale = entry["valid_ndcg"], 0
                    best_state = {key: v.detach().clone() for key, v in self.net.state_dict().items()}
                else:
                    stale += 1
                    if stale >= patience:
                        break
        if best_state is not None:
            self.net.load_state_dict(best_state)
        self.net.eval()

    def _validation_ndcg(self, valid: list[tuple[np.ndarray, np.ndarray, int]], k: int = 10) -> float:
        """NDCG@k of each held-out last step, items already in the input excluded."""
        import torch

        self.net.eval()
        total = 0.0
        with torch.inference_mode():
            for b in range(0, len(valid), 256):
                chunk = valid[b:b + 256]
                x = torch.from_numpy(_pad([c[0] for c in chunk]))
                kinds = torch.from_numpy(_pad([c[1] for c in chunk]))
                last = torch.tensor([len(c[0]) - 1 for c in chunk])
                states = self.net(x, kinds)[torch.arange(len(chunk)), last]
                scores = self.net.logits(states)
                for row, c in enumerate(chunk):
                    scores[row, torch.from_numpy(c[0] - 1)] = float("-inf")
                targets = torch.tensor([c[2] - 1 for c in chunk])
                mine = scores[torch.arange(len(chunk)), targets]
                rank = (scores > mine[:, None]).sum(dim=1)
                total += float((1.0 / torch.log2(rank[rank < k].double() + 2)).sum())
        self.net.train()
        return total / max(len(valid), 1)

    # -- scoring -----------------------------------------------------------------------------
    def score_steps(self, history: sparse.csr_matrix, steps: Steps | None, user: int | None = None) -> np.ndarray:
        """Next-item scores after these steps (the last max_len count); zeros without any."""
        import torch

        if steps is None or not len(steps):
            return self.score(history, user)
        items = steps.items[-self.max_len:] + 1
        kinds = steps.kinds[-self.max_len:].astype(np.int64)
        key = (items.tobytes(), kinds.tobytes())
        if self._last is not None and self._last[0] == key:  # one request asks twice (list, reasons)
            return self._last[1].copy()
        # One shopper's few steps: a second thread only waits (p95 5 ms on one, 200 ms on two when busy).
        with torch_threads(1), torch.inference_mode():
            states = self.net(torch.from_numpy(items[None, :]), torch.from_numpy(kinds[None, :]))
            scores = self.net.logits(states[0, -1]).numpy().astype(np.float64)
        self._last = (key, scores)
        return scores.copy()

    def score(self, history: sparse.csr_matrix, user: int | None = None) -> np.ndarray:
        """Without the order: the history's items, weakest first, as if viewed in that order."""
        if history is None or not history.nnz:
            return np.zeros(len(self.items))
        order = np.lexsort((history.indices, history.data))
        steps = Steps(history.indices[order].astype(np.int64), np.ones(len(order), dtype=np.int8))
        return self.score_steps(history, steps, user)

    def similarity(self, item: int, others: np.ndarray) -> np.ndarray:
        """Cosine of the learnt item vectors: which of the shopper's steps a next item is closest to."""
        vectors = self.net.item.weight.detach().numpy()[1:]
        a, b = vectors[item], vectors[others]
        return (b @ a) / (np.linalg.norm(b, axis=1) * np.linalg.norm(a) + 1e-12)

    # -- persistence -------------------------------------------------------------------------
    def arrays(self) -> dict[str, Any]:
        state = {f"w.{key}": value.detach().numpy() for key, value in self.net.state_dict().items()}
        return {**state, "trained_epochs": np.array(self.trained_epochs)}

    def restore(self, arrays: dict[str, Any]) -> None:
        import torch

        self.net = _network(len(self.items), self.hidden, self.blocks, self.heads, self.max_len,
                            self.dropout, self.kinds)
        self.net.load_state_dict({key[2:]: torch.from_numpy(np.array(value))
                                  for key, value in arrays.items() if key.startswith("w.")})
        self.net.eval()
        self._last = None
        self.trained_epochs = int(arrays.get("trained_epochs", 0))


def _pad(rows: list[np.ndarray]) -> np.ndarray:
    """Right-pad int sequences with 0 into one (rows × longest) int64 array."""
    out = np.zeros((len(rows), max((len(r) for r in rows), default=0)), dtype=np.int64)
    for n, r in enumerate(rows):
        out[n, :len(r)] = r
    return out
