"""Retrieval speed: per-stage latency on the shipped catalog, FAISS flat vs HNSW on
synthetic vectors, and encoding throughput.

Usage: .venv/bin/python bench/retrieval.py [--sizes 100000,1000000] [--queries 200]
Targets (2 cores): whole `search` p95 <= 50 ms on the shipped catalog; HNSW at 1M p50 <= 2 ms
with recall@10 >= 0.95 against exact search.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# This file is named like the `retrieval` package; keep its folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import faiss
import numpy as np

from core.services import make_searcher
from core.settings import get_settings
from retrieval.encoder import encode_documents, encode_queries
from retrieval.evaluate import load_queries
from retrieval.index import HNSW_EF_CONSTRUCTION, HNSW_M
from retrieval.search import tokenize


def percentiles(samples: list[float]) -> str:
    ms = np.array(samples) * 1000
    return f"p50 {np.percentile(ms, 50):7.2f} ms   p95 {np.percentile(ms, 95):7.2f} ms"


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - started)
    return out


def stages(queries: list[str]) -> None:
    settings = get_settings()
    searcher = make_searcher(settings)
    searcher.search(queries[0])  # warm up
    vectors = np.asarray(encode_queries(searcher.encoder, queries[:1]), dtype=np.float32)
    print(f"shipped catalog: {len(searcher.rows)} products, {len(queries)} queries")
    print(f"  parse          {percentiles(timed(searcher.parse, queries))}")
    print(f"  encode query   {percentiles(timed(lambda q: encode_queries(searcher.encoder, [q]), queries))}")
    print(f"  FAISS top-200  {percentiles(timed(lambda _: searcher.store.index.search(vectors, 200), queries))}")
    print(f"  BM25 scores    {percentiles(timed(lambda q: searcher.bm25.get_scores(tokenize(q)), queries))}")
    print(f"  whole search   {percentiles(timed(lambda q: searcher.search(q, 10), queries))}")
    texts = [p.embedding_text() for p in searcher.rows[:64]]
    started = time.perf_counter()
    encode_documents(searcher.encoder, texts)
    print(f"  encoding throughput: {len(texts) / (time.perf_counter() - started):.1f} products/s")


def ann(size: int, dim: int = 384, n_queries: int = 200) -> None:
    rng = np.random.default_rng(0)
    # Sentence embeddings have a low intrinsic dimension: draw 32-d latent points and map
    # them into 384-d, plus a little noise. (Full-rank Gaussian noise would make every
    # neighbour nearly equidistant, which no real embedding space looks like.)
    projection = rng.standard_normal((32, dim)).astype(np.float32)
    data = rng.standard_normal((size, 32)).astype(np.float32) @ projection
    data += 0.1 * rng.standard_normal((size, dim)).astype(np.float32)
    faiss.normalize_L2(data)
    queries = rng.standard_normal((n_queries, 32)).astype(np.float32) @ projection
    faiss.normalize_L2(queries)
    flat = faiss.IndexFlatIP(dim)
    flat.add(data)
    _, exact = flat.search(queries, 10)
    hnsw = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    started = time.perf_counter()
    hnsw.add(data)
    build = time.perf_counter() - started
    print(f"{size:,} synthetic vectors (dim {dim}); HNSW M={HNSW_M} built in {build:.0f} s "
          f"({size / build:,.0f} vectors/s)")
    print(f"  flat exact     {percentiles(timed(lambda q: flat.search(q[None], 10), queries))}")
    for ef in (32, 64, 128, 256, 512):
        hnsw.hnsw.efSearch = ef
        lat = timed(lambda q: hnsw.search(q[None], 10), queries)
        _, found = hnsw.search(queries, 10)
        recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact)])
        print(f"  HNSW ef={ef:<4} {percentiles(lat)}   recall@10 {recall:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    queries = [q["query"] for q in load_queries(get_settings().path(
        get_settings().root / "data/eval/retrieval_queries.jsonl"))][: args.queries]
    stages(queries)
    for size in (int(s) for s in args.sizes.split(",") if s):
        ann(size)


if __name__ == "__main__":
    main()
