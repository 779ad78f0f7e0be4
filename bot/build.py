"""Offline builds (catalog DB, lexicon, index, CF model, Rasa model), each skipped when
its inputs' fingerprint is unchanged, so a second `make run` starts serving at once."""
from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.settings import Settings
from recommender import itemcf
from retrieval import index as faiss_index
from retrieval.encoder import load_encoder
from retrieval.lexicon import vocabulary, write_jieba_dict, write_lookups
from store.catalog import all_products, file_fingerprint, load_interactions, load_products
from store.db import create_schema, session_scope
from store.models import BuildStamp

LOOKUPS_FILE = "data/generated/lookups.yml"


@dataclass
class StepResult:
    step: str
    built: bool
    seconds: float
    detail: str = ""


def catalog_fingerprint(settings: Settings) -> str:
    return file_fingerprint(settings.path(settings.catalog_file),
                            settings.path(settings.interactions_file))


def _stamp(settings: Settings, name: str) -> str | None:
    create_schema(settings.db_url)
    with session_scope(settings.db_url) as session:
        row = session.get(BuildStamp, name)
        return row.fingerprint if row else None


def _set_stamp(settings: Settings, name: str, fingerprint: str) -> None:
    with session_scope(settings.db_url) as session:
        session.merge(BuildStamp(name=name, fingerprint=fingerprint))


def build_catalog(settings: Settings, force: bool = False) -> str:
    fingerprint = catalog_fingerprint(settings)
    if not force and _stamp(settings, "catalog") == fingerprint:
        return ""
    report = load_products(settings.db_url, settings.path(settings.catalog_file), replace=True)
    events = load_interactions(settings.db_url, settings.path(settings.interactions_file))
    _set_stamp(settings, "catalog", fingerprint)
    bad = f", {len(report.errors)} bad rows" if report.errors else ""
    return f"{report.loaded} products, {events} interactions{bad}"


def _write_if_changed(path, writer) -> bool:
    before = path.read_bytes() if path.exists() else None
    writer()
    return path.read_bytes() != before


def build_lexicon(settings: Settings, force: bool = False) -> str:
    """jieba user dictionary and Rasa lookup tables; files are rewritten only on change."""
    vocab = vocabulary(all_products(settings.db_url))
    dict_path = settings.jieba_dir / "userdict.txt"
    lookups = settings.path(settings.root / LOOKUPS_FILE)
    changed = _write_if_changed(dict_path, lambda: write_jieba_dict(vocab, settings.jieba_dir))
    changed |= _write_if_changed(lookups, lambda: write_lookups(vocab, lookups))
    return f"{sum(len(v) for v in vocab.values())} terms" if changed or force else ""


def build_index(settings: Settings, force: bool = False) -> str:
    fingerprint = catalog_fingerprint(settings)
    manifest = faiss_index.read_manifest(settings.index_dir)
    if (not force and manifest and manifest.catalog_fingerprint == fingerprint
            and manifest.model == settings.embedding_model):
        return ""
    products = all_products(settings.db_url)
    encoder = load_encoder(settings.embedding_model, settings.encoder_dir)
    manifest, encoded = faiss_index.build_index(
        settings.index_dir, [p.id for p in products], [p.search_text() for p in products],
        encoder, settings.embedding_model, fingerprint)
    return f"{manifest.count} products, {encoded} encoded, dim {manifest.dim}"


def build_cf(settings: Settings, force: bool = False) -> str:
    fingerprint = catalog_fingerprint(settings)
    manifest = itemcf.read_manifest(settings.cf_dir)
    if not force and manifest and manifest.fingerprint == fingerprint:
        return ""
    with settings.path(settings.interactions_file).open(encoding="utf-8", newline="") as fh:
        rows = [(r["user_id"], r["product_id"], r["event"]) for r in csv.DictReader(fh)]
    manifest = itemcf.train(rows, settings.cf_dir, fingerprint)
    return f"{manifest.users} users, {manifest.items} items"


def rasa_bin(settings: Settings, name: str = "rasa") -> str:
    return str(settings.root / ".venv-rasa" / "bin" / name)


def build_rasa_model(settings: Settings, force: bool = False) -> str:
    """`rasa train` only when `rasa train --dry-run` says so or the jieba dictionary changed.

    Rasa's own fingerprint covers config, domain and data but not the dictionary files.
    """
    models = settings.path(settings.models_dir)
    dict_hash = hashlib.sha256((settings.jieba_dir / "userdict.txt").read_bytes()).hexdigest()
    stamp = models / ".jieba_fingerprint"
    base = [rasa_bin(settings), "train", "--config", "config.yml", "--domain", "domain.yml",
            "--data", "data", "--out", str(models)]
    env = {**os.environ, **settings.rasa_env()}
    dictionary_changed = not stamp.exists() or stamp.read_text() != dict_hash
    if not (force or dictionary_changed):
        dry = subprocess.run(base + ["--dry-run"], cwd=settings.root, capture_output=True, env=env)
        if dry.returncode == 0:
            return ""
    subprocess.run(base + (["--force"] if force or dictionary_changed else []),
                   cwd=settings.root, check=True, env=env)
    models.mkdir(parents=True, exist_ok=True)
    stamp.write_text(dict_hash)
    return "trained"


STEPS: dict[str, Callable[[Settings, bool], str]] = {
    "catalog": build_catalog,
    "lexicon": build_lexicon,
    "index": build_index,
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
    return results
