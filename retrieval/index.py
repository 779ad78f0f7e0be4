"""A persisted FAISS index over product texts, with a manifest and an embedding cache."""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from retrieval.encoder import encode_documents

INDEX_FILE = "products.faiss"
IDS_FILE = "ids.json"
MANIFEST_FILE = "manifest.json"
CACHE_FILE = "embedding_cache.npz"


@dataclass
class Manifest:
    """What an index was built from; a serving process refuses an index that doesn't match."""

    model: str
    dim: int
    count: int
    catalog_fingerprint: str
    built_at: float


def read_manifest(folder: Path) -> Manifest | None:
    path = folder / MANIFEST_FILE
    if not path.exists():
        return None
    return Manifest(**json.loads(path.read_text(encoding="utf-8")))


def _text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _load_cache(folder: Path, model: str) -> dict[str, np.ndarray]:
    path = folder / CACHE_FILE
    if not path.exists():
        return {}
    data = np.load(path, allow_pickle=False)
    if str(data["model"]) != model:
        return {}
    return dict(zip(data["hashes"].tolist(), data["vectors"]))


def build_index(folder: Path, ids: list[str], texts: list[str], encoder, model_name: str,
                catalog_fingerprint: str) -> tuple[Manifest, int]:
    """Encode (re-using cached vectors for unchanged texts) and write index + manifest.

    Returns the manifest and how many texts were actually encoded.
    """
    folder.mkdir(parents=True, exist_ok=True)
    cache = _load_cache(folder, model_name)
    hashes = [_text_hash(t) for t in texts]
    missing = [i for i, h in enumerate(hashes) if h not in cache]
    if missing:
        fresh = encode_documents(encoder, [texts[i] for i in missing])
        for i, vector in zip(missing, fresh):
            cache[hashes[i]] = np.asarray(vector, dtype=np.float32)
    dim = encoder.get_embedding_dimension() or len(next(iter(cache.values())))
    vectors = np.vstack([cache[h] for h in hashes]).astype(np.float32) if hashes else np.zeros((0, dim), np.float32)
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    index.add_with_ids(vectors, np.arange(len(ids), dtype=np.int64))
    faiss.write_index(index, str(folder / INDEX_FILE))
    (folder / IDS_FILE).write_text(json.dumps(ids), encoding="utf-8")
    np.savez(folder / CACHE_FILE, model=np.array(model_name), hashes=np.array(hashes),
             vectors=vectors)
    manifest = Manifest(model=model_name, dim=dim, count=len(ids),
                        catalog_fingerprint=catalog_fingerprint, built_at=time.time())
    (folder / MANIFEST_FILE).write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2),
                                        encoding="utf-8")
    return manifest, len(missing)


def load_index(folder: Path) -> tuple[faiss.Index, list[str], Manifest]:
    manifest = read_manifest(folder)
    if manifest is None:
        raise FileNotFoundError(f"没有找到索引：{folder}。请先运行 `shopbot index build`。")
    index = faiss.read_index(str(folder / INDEX_FILE))
    ids = json.loads((folder / IDS_FILE).read_text(encoding="utf-8"))
    return index, ids, manifest
