"""Stream a large interactions file into the database: rows/s and peak memory.

Usage: .venv/bin/python bench/import_interactions.py [ROWS] [DATABASE_URL]
Writes a synthetic MovieLens-format file of ROWS (default 1,000,000) ratings to a temp
folder and imports it with `store.history.import_interactions` (the code behind
`shopbot interactions import`). Memory stays flat because rows stream in batches.
"""
from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from store.db import migrate
from store.history import import_interactions


def write_ratings(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("userId,movieId,rating,timestamp\n")
        for n in range(rows):
            fh.write(f"{rng.randint(1, 50_000)},{rng.randint(1, 20_000)},"
                     f"{rng.randint(1, 10) / 2},{1_600_000_000 + n}\n")


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    folder = Path(tempfile.mkdtemp())
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{folder / 'bench.db'}"
    path = folder / "ratings.csv"
    write_ratings(path, rows)
    migrate(url)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    report = import_interactions(url, path, dataset="bench")
    seconds = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"file: {path.stat().st_size / 1e6:.1f} MB, {rows:,} rows -> {url.split('://')[0]}")
    print(f"imported {report.loaded:,} rows ({len(report.errors)} bad) in {seconds:.1f} s "
          f"= {report.loaded / seconds:,.0f} rows/s")
    print(f"peak RSS: {rss_before:.0f} MB before import, {rss_after:.0f} MB after")


if __name__ == "__main__":
    main()
