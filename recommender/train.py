"""Train every recommender on the shop's events and persist them with a manifest.

Retraining is incremental where the algorithm allows: when only new events arrived and the
catalog is unchanged, ALS keeps its item factors and re-solves just the users who acted
(the ALS user step) and the sequential model continues from its checkpoint on those users'
sequences (nothing new: it is kept as it is); popularity, item-CF, user-CF and complements are
exact refits (seconds).
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from core.manifest import Manifest
from recommender.als import ALS
from recommender.base import Recommender
from recommender.complements import Complements
from recommender.data import Event, Interactions
from recommender.itemcf import ItemCF
from recommender.popularity import Popularity
from recommender.sequential import SASRec
from recommender.usercf import UserCF

# The recommenders every training fits and every evaluation compares (the blend is built from them).
MODELS: dict[str, type[Recommender]] = {"popularity": Popularity, "itemcf": ItemCF, "usercf": UserCF, "als": ALS,
                                        "sequential": SASRec}


def new_model(name: str, engine: str = "local", master: str = "local[*]") -> Recommender:
    """An unfitted model of MODELS; ALS trains on `engine` (local or spark)."""
    return ALS(engine=engine, master=master) if name == "als" else MODELS[name]()


@dataclass
class TrainingManifest(Manifest):
    """What was trained on what: read by `shopbot doctor`, the build step and the service."""

    fingerprint: str
    engine: str
    users: int
    items: int
    interactions: int
    last_event: float
    trained_at: float
    models: dict[str, dict] = field(default_factory=dict)


def read_users(folder: Path) -> list[str]:
    path = folder / "users.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def train(events: list[Event], catalog: dict[str, str], folder: Path, fingerprint: str,
          engine: str = "local", master: str = "local[*]", incremental: bool = True,
          log=lambda _: None) -> TrainingManifest:
    """Fit and save all models; `catalog` maps item id → category (every item is scorable)."""
    previous = TrainingManifest.read(folder)
    old_users = read_users(folder) if previous else []
    data = Interactions.from_events(events, items=catalog, users=old_users)
    newest = max((e.timestamp for e in events), default=0.0)
    can_increment = (incremental and previous is not None and previous.engine == engine
                     and previous.items == len(data.items) and (folder / "als.npz").exists()
                     # nothing before the last training changed: only appended events
                     and sum(e.timestamp <= previous.last_event for e in events) == previous.interactions)
    changed = {e.user for e in events if e.timestamp > previous.last_event} if can_increment else set()
    models: dict[str, dict] = {}
    for name in MODELS:
        started = time.perf_counter()
        if name == "als" and can_increment:
            model = ALS.load(folder)
            model.update_users({data.user_index[u]: data.matrix[data.user_index[u]] for u in changed})
            mode = f"incremental ({len(changed)} users)"
        elif name == "sequential" and can_increment and (folder / "sequential.json").exists():
            model = SASRec.load(folder)
            if changed:
                model.update(data, {data.user_index[u] for u in changed})
            mode = f"incremental ({len(changed)} users)" if changed else "unchanged"
        else:
            model = new_model(name, engine, master)
            model.fit(data)
            mode = "full"
        model.save(folder)
        models[name] = {"params": model.params(), "mode": mode,
                        "seconds": round(time.perf_counter() - started, 2)}
        log(f"  {name:<11} {mode} ({models[name]['seconds']}s)")
    started = time.perf_counter()
    Complements().fit(events, catalog).save(folder)
    models["complements"] = {"mode": "full", "seconds": round(time.perf_counter() - started, 2)}
    (folder / "users.json").write_text(json.dumps(data.users), encoding="utf-8")
    manifest = TrainingManifest(fingerprint=fingerprint, engine=engine, users=len(data.users), items=len(data.items),
                        interactions=len(events), last_event=newest, trained_at=time.time(), models=models)
    manifest.write(folder)
    return manifest
