"""Offline builds (catalog DB, lexicon, index, CF model, Rasa model), each skipped when
its inputs' fingerprint is unchanged, so a second `make run` starts serving at once."""
from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path
from collections.abc import Callable
from dataclasses import dataclass

from core.services import read_catalog
from core.settings import Settings
from recommender.data import events_from_rows
from recommender.train import MODELS, TrainingManifest, train
from retrieval.index import IndexManifest, build_index
from retrieval.encoder import load_encoder
from retrieval.lexicon import vocabulary, write_jieba_dict, write_lookups
from store.catalog import all_products, file_fingerprint, import_categories, import_products
from store.db import ensure_database, migrate, session_scope
from store.history import import_interactions, interaction_rows
from store.shopdata import import_carts, import_orders, import_promotions, import_users
from store.models import BuildStamp

LOOKUPS_FILE = "data/generated/lookups.yml"


@dataclass
class StepResult:
    step: str
    built: bool
    seconds: float
    detail: str = ""


# The shipped shop, in load order (categories before products before history).
SHOP_FILES = ("categories.jsonl", "products.jsonl", "users.jsonl", "interactions.csv",
              "orders.jsonl", "carts.jsonl", "promotions.jsonl")


def catalog_fingerprint(settings: Settings, names: tuple[str, ...] = SHOP_FILES) -> str:
    folder = settings.path(settings.catalog_dir)
    return file_fingerprint(*(folder / name for name in names))


def _stamp(settings: Settings, name: str) -> str | None:
    ensure_database(settings.db_url)
    migrate(settings.db_url)
    with session_scope(settings.db_url) as session:
        row = session.get(BuildStamp, name)
        return row.fingerprint if row else None


def _set_stamp(settings: Settings, name: str, fingerprint: str) -> None:
    with session_scope(settings.db_url) as session:
        session.merge(BuildStamp(name=name, fingerprint=fingerprint))


def build_catalog(settings: Settings, force: bool = False) -> str:
    """Load the shipped shop into the database (products missing from the file are removed)."""
    fingerprint = catalog_fingerprint(settings)
    if not force and _stamp(settings, "catalog") == fingerprint:
        return ""
    folder, url = settings.path(settings.catalog_dir), settings.db_url
    reports = {
        "categories": import_categories(url, folder / "categories.jsonl"),
        "products": import_products(url, folder / "products.jsonl", replace=True),
        "users": import_users(url, folder / "users.jsonl"),
        "interactions": import_interactions(url, folder / "interactions.csv", dataset="shop",
                                            replace=True),
        "orders": import_orders(url, folder / "orders.jsonl"),
        "carts": import_carts(url, folder / "carts.jsonl"),
        "promotions": import_promotions(url, folder / "promotions.jsonl"),
    }
    bad = {name: r.errors[:3] for name, r in reports.items() if r.errors}
    if bad:
        raise ValueError(f"the shipped shop data has bad rows: {bad}")
    _set_stamp(settings, "catalog", fingerprint)
    return ", ".join(f"{r.loaded} {name}" for name, r in reports.items())


def _write_if_changed(path, writer) -> bool:
    before = path.read_bytes() if path.exists() else None
    writer()
    return path.read_bytes() != before


def build_lexicon(settings: Settings, force: bool = False) -> str:
    """jieba user dictionary and Rasa lookup tables; files are rewritten only on change."""
    products, aliases = read_catalog(settings)
    vocab = vocabulary(products, aliases)
    dict_path = settings.jieba_dir / "userdict.txt"
    lookups = settings.path(settings.root / LOOKUPS_FILE)
    changed = _write_if_changed(dict_path, lambda: write_jieba_dict(vocab, settings.jieba_dir))
    changed |= _write_if_changed(lookups, lambda: write_lookups(vocab, lookups, aliases))
    return f"{sum(len(v) for v in vocab.values())} terms" if changed or force else ""


def build_search_index(settings: Settings, force: bool = False) -> str:
    """The embedding index over every product, rebuilt when the catalog or the model changed."""
    fingerprint = catalog_fingerprint(settings, ("categories.jsonl", "products.jsonl"))
    manifest = IndexManifest.read(settings.index_dir)
    if (not force and manifest and manifest.catalog_fingerprint == fingerprint
            and manifest.model == settings.embedding_model):
        return ""
    products, _ = read_catalog(settings)
    encoder = load_encoder(settings.embedding_model, settings.encoder_dir)
    manifest, encoded = build_index(
        settings.index_dir, [p.id for p in products], [p.embedding_text() for p in products],
        encoder, settings.embedding_model, fingerprint, settings.hnsw_threshold,
        seed_cache=shipped_embeddings(settings))
    return f"{manifest.count} products, {encoded} encoded, dim {manifest.dim}"


def shipped_embeddings(settings: Settings) -> Path:
    """Vectors of the shipped catalog, committed so a fresh clone needn't encode it all
    (`shopbot index ship` rewrites the file after the catalog changes)."""
    return settings.path(settings.catalog_dir) / f"embeddings-{settings.embedding_model.replace('/', '_')}.npz"


def cf_fingerprint(settings: Settings) -> str:
    return catalog_fingerprint(settings, ("products.jsonl", "interactions.csv"))


def train_recommender(settings: Settings, fingerprint: str | None = None, incremental: bool = True,
                      engine: str | None = None, log=lambda _: None) -> TrainingManifest:
    """Fit every recommender on the shop's events in the database and save them under var/cf."""
    migrate(settings.db_url)
    with session_scope(settings.db_url) as session:
        catalog = {p.id: p.category for p in all_products(session)}
        events = events_from_rows(interaction_rows(session))
    return train(events, catalog, settings.cf_dir, fingerprint or cf_fingerprint(settings),
                 engine=engine or settings.recommender_engine, master=settings.spark_master,
                 incremental=incremental, log=log)


def build_cf(settings: Settings, force: bool = False) -> str:
    """Recommender models, retrained when the shipped shop data changed or a model is missing
    (chat events: `shopbot recommender train`)."""
    fingerprint = cf_fingerprint(settings)
    manifest = TrainingManifest.read(settings.cf_dir)
    if not force and manifest and manifest.fingerprint == fingerprint and set(MODELS) <= set(manifest.models):
        return ""
    manifest = train_recommender(settings, fingerprint, incremental=False)
    return f"{manifest.users} users, {manifest.items} items, {manifest.interactions} events"


def model_code(root: Path) -> list[Path]:
    """The Python a trained model depends on: our NLU components and the core leaves they import
    (channels and stores are read at serving time, so editing them needs no retrain)."""
    return [*sorted((root / "rasa_plugins" / "nlu").glob("*.py")), root / "core" / "numbers.py",
            root / "core" / "stances.py"]


def rasa_inputs_fingerprint(settings: Settings) -> str:
    """SHA-256 over everything `rasa train` reads: config, domain, the YAML under data/, the
    sentiment set (data/sentiment/*.tsv), our NLU components and the jieba dictionary.

    Rasa's own `--dry-run` cannot be trusted here: it reports a retrain after every training
    once a custom dense featurizer is in the pipeline, and it ignores the dictionary files.
    """
    root = settings.root
    files = [root / "config.yml", root / "domain.yml", settings.jieba_dir / "userdict.txt",
             *sorted((root / "data").rglob("*.yml")), *sorted((root / "data" / "sentiment").glob("*.tsv")),
             *model_code(root)]
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_rasa_model(settings: Settings, force: bool = False) -> str:
    """`rasa train` when its inputs changed since the last model (or none exists)."""
    models = settings.path(settings.models_dir)
    stamp = models / ".inputs_fingerprint"
    fingerprint = rasa_inputs_fingerprint(settings)
    has_model = any(models.glob("*.tar.gz"))
    if not force and has_model and stamp.exists() and stamp.read_text() == fingerprint:
        return ""
    command = [settings.rasa_bin(), "train", "--config", "config.yml", "--domain", "domain.yml",
               "--data", "data", "--out", str(models)] + (["--force"] if force else [])
    subprocess.run(command, cwd=settings.root, check=True, env={**os.environ, **settings.rasa_env()})
    models.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)
    return "trained"


STEPS: dict[str, Callable[[Settings, bool], str]] = {
    "catalog": build_catalog,
    "lexicon": build_lexicon,
    "index": build_search_index,
    "cf": build_cf,
    "rasa": build_rasa_model,
}


def build_all(settings: Settings, only: list[str] | None = None, force: bool = False,
              log: Callable[[str], None] = print) -> list[StepResult]:
    """Run every build step in dependency order, reporting what was built and what skipped."""
    results = []
    for name, step in STEPS.items():
        if only and name not in only:
            continue
        started = time.perf_counter()
        detail = step(settings, force)
        result = StepResult(name, bool(detail), time.perf_counter() - started, detail)
        log(f"  {name:<8} {'built' if result.built else 'up to date'}"
            f" ({result.seconds:.1f}s){': ' + detail if detail else ''}")
        results.append(result)
    private_files(settings)
    return results


def private_files(settings: Settings) -> None:
    """Databases and secrets in var/ hold shoppers' data: readable by their owner only (0600)."""
    for path in settings.var.glob("*"):
        if path.is_file() and path.suffix in ("", ".db", ".db-wal", ".db-shm", ".db-journal"):
            path.chmod(0o600)
    tracker = settings.path(settings.tracker_db)
    if tracker.exists():
        tracker.chmod(0o600)
