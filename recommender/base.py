"""The one interface every recommender implements: fit on interactions, score items for a user.

A user is given by their interaction row (1 × items), so the same call serves users seen in
training, users whose history grew since (new chat clicks), and anonymous sessions. Models that
need the order too (`recommender.sequential`) also read the user's steps in time order through
`score_steps`; for the others it is `score`.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy import sparse

from recommender.data import Interactions, Steps


class Recommender(ABC):
    """Fit once, then `score(history)` → one relevance number per item (higher is better)."""

    name: ClassVar[str]
    items: list[str]

    @abstractmethod
    def fit(self, data: Interactions) -> "Recommender":
        """Learn from the users × items matrix."""

    @abstractmethod
    def score(self, history: sparse.csr_matrix, user: int | None = None) -> np.ndarray:
        """Scores over `self.items` for a user with this history (`user`: row in training, if any)."""

    def score_steps(self, history: sparse.csr_matrix, steps: Steps | None, user: int | None = None) -> np.ndarray:
        """Scores when the history's order is known too (evaluation and serving always call this);
        order-blind models ignore `steps`."""
        return self.score(history, user)

    def params(self) -> dict[str, Any]:
        return {}

    @abstractmethod
    def arrays(self) -> dict[str, Any]:
        """What `save` writes (numpy arrays or scipy sparse matrices)."""

    @abstractmethod
    def restore(self, arrays: dict[str, Any]) -> None:
        """Inverse of `arrays`."""

    def recommend(self, history: sparse.csr_matrix, user: int | None = None, k: int = 10,
                  exclude_seen: bool = True, steps: Steps | None = None) -> list[tuple[int, float]]:
        """Top-k (item position, score), best first, leaving out what the user already has."""
        return top_k(self.score_steps(history, steps, user), history.indices if exclude_seen else (), k)

    def save(self, folder: Path) -> None:
        """`<name>.npz` (+ sparse matrices) and `<name>.json` with params and item ids."""
        folder.mkdir(parents=True, exist_ok=True)
        dense, meta = {}, {"name": self.name, "params": self.params(), "items": self.items, "sparse": []}
        for key, value in self.arrays().items():
            if sparse.issparse(value):
                sparse.save_npz(folder / f"{self.name}.{key}.npz", value.tocsr())
                meta["sparse"].append(key)
            else:
                dense[key] = np.asarray(value)
        np.savez(folder / f"{self.name}.npz", **dense)
        (folder / f"{self.name}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Recommender":
        meta = json.loads((folder / f"{cls.name}.json").read_text(encoding="utf-8"))
        model = cls(**meta["params"])
        model.items = meta["items"]
        with np.load(folder / f"{cls.name}.npz", allow_pickle=False) as stored:
            arrays: dict[str, Any] = {key: stored[key] for key in stored.files}
        for key in meta["sparse"]:
            arrays[key] = sparse.load_npz(folder / f"{cls.name}.{key}.npz").tocsr()
        model.restore(arrays)
        return model


def top_k(scores: np.ndarray, exclude: Any = (), k: int = 10) -> list[tuple[int, float]]:
    """The k best positions (ties broken by position, so results are deterministic)."""
    scores = np.asarray(scores, dtype=np.float64).copy()
    if len(exclude):
        scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return []
    candidates = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    order = sorted(candidates, key=lambda i: (-scores[i], i))
    return [(int(i), float(scores[i])) for i in order]


def normalise(scores: np.ndarray) -> np.ndarray:
    """Min–max to [0, 1] over finite entries; a constant vector becomes zeros."""
    scores = np.asarray(scores, dtype=np.float64)
    finite = np.isfinite(scores)
    if not finite.any():
        return np.zeros_like(scores)
    low, high = scores[finite].min(), scores[finite].max()
    if high - low < 1e-12:
        return np.where(finite, 0.0, 0.0)
    return np.where(finite, (scores - low) / (high - low), 0.0)
