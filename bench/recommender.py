"""Recommender speed and memory on synthetic shop interactions: matrix build, fit time,
per-user recommend latency and peak memory for each model.

Usage: .venv/bin/python bench/recommender.py [--sizes 100000 1000000] [--models popularity itemcf usercf als sequential]
                                             [--users-sample 200] [--seed 7] [--blas-threads N]
                                             [--sequential-epochs N] [--personaliser] [--json [PATH]]
Sizes are numbers of events; users and items scale with them (100k → 5,000 users × 3,000 items,
1M → 50,000 users × 20,000 items). The data is deterministic for a given --seed:
  - items have a long-tail (Zipf, s=1) popularity and belong to one of 24 categories;
  - each shopper has 1-3 favourite categories and a long-tail activity level; 85% of their
    events fall in those categories, the rest follow global popularity;
  - event types view / click / add_to_cart / purchase at 70 / 20 / 7 / 3 %, over 90 days.

Per model: `fit` time; latency of `model.recommend(data.matrix[u], u, k=10, steps=…)` (the user's
steps in time order, as evaluation and serving pass them) over a fixed sample of users (p50/p95,
after one warm-up call), plus ALS fold-in (`user=None`). The sequential model trains a fixed
--sequential-epochs (default 2, no early stopping) so its fit time reads as a per-epoch cost; its
full-softmax cost grows with events × items. --personaliser also times the chat's own calls on
the built shop (var/): `Personaliser.recommend` for a shopper with a two-click visit, and one
sequential `score_steps` call, model loaded once. On a shared 2-core
box OpenBLAS's own threads make small mat-vec products jittery; --blas-threads 1 shows the
difference.
Memory: the kernel's own high-water mark (VmHWM in /proc/self/status), reset before each phase
by writing 5 to /proc/self/clear_refs, after gc + malloc_trim so freed memory is handed back.
That catches numpy/scipy/implicit C allocations that tracemalloc misses, and short spikes a
sampling thread can miss. "peak" is the process high-water mark during the phase, "+N" / "+MB"
how far it rose above the phase's starting RSS. (Falls back to a psutil sampler every 2 ms
where clear_refs is unavailable.)
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import re
import sys
import threading
import time
from pathlib import Path

# This file is named like the `recommender` package; keep its folder off the import path
# and put the project root on it instead.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402
import psutil  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from recommender.data import Event, Interactions  # noqa: E402
from recommender.sequential import SASRec  # noqa: E402
from recommender.train import MODELS  # noqa: E402

EVENT_TYPES = ("view", "click", "add_to_cart", "purchase")
EVENT_SHARES = (0.70, 0.20, 0.07, 0.03)
CATEGORIES = 24
DAY = 86400.0


# --- memory -------------------------------------------------------------------------------

def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _vm_hwm_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        return int(re.search(r"VmHWM:\s+(\d+)", fh.read()).group(1)) / 1024


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


try:
    _LIBC = ctypes.CDLL("libc.so.6")
except OSError:
    _LIBC = None


def _release() -> None:
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


class PeakMemory:
    """`with PeakMemory() as m:` … then m.peak (MB, process high-water mark) and m.rise."""

    method = "VmHWM reset via /proc/self/clear_refs" if _reset_hwm() else "psutil RSS sampled every 2 ms"

    def __enter__(self) -> "PeakMemory":
        _release()
        self.start = _rss_mb()
        self._sampling = not _reset_hwm()
        if self._sampling:
            self._peak, self._stop = self.start, threading.Event()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        process = psutil.Process()
        while not self._stop.wait(0.002):
            self._peak = max(self._peak, process.memory_info().rss / 2**20)

    def __exit__(self, *exc) -> None:
        if self._sampling:
            self._stop.set()
            self._thread.join()
            self.peak = max(self._peak, _rss_mb())
        else:
            self.peak = _vm_hwm_mb()
        self.end = _rss_mb()
        self.rise = self.peak - self.start


# --- synthetic data -----------------------------------------------------------------------

def scale(size: int) -> tuple[int, int]:
    """(users, items) for `size` events: 20 events per user; items 3k at 100k, 20k at 1M."""
    users = max(10, size // 20)
    items = max(10, int(round(3000 * (size / 100_000) ** np.log10(20 / 3))))
    return users, items


def synthesise(size: int, seed: int) -> dict[str, np.ndarray]:
    """Columns of `size` synthetic events (user, item, type, timestamp as arrays)."""
    n_users, n_items = scale(size)
    rng = np.random.default_rng(seed)
    # Items: a Zipf popularity over a random ranking, and a category each (uneven sizes).
    popularity = 1.0 / np.arange(1, n_items + 1) ** 1.0
    popularity = popularity[rng.permutation(n_items)]
    category_sizes = rng.dirichlet(np.full(CATEGORIES, 2.0))
    item_category = rng.choice(CATEGORIES, n_items, p=category_sizes)
    global_cdf = np.cumsum(popularity) / popularity.sum()
    by_category = [np.flatnonzero(item_category == c) for c in range(CATEGORIES)]
    category_cdf = [np.cumsum(popularity[m]) / popularity[m].sum() if len(m) else None for m in by_category]
    # Users: 1-3 favourite categories with Dirichlet weights; long-tail activity (lognormal).
    favourites = np.stack([rng.choice(CATEGORIES, 3, replace=False) for _ in range(n_users)])
    n_favourites = rng.choice([1, 2, 3], n_users, p=[0.3, 0.45, 0.25])
    taste = rng.dirichlet(np.ones(3), n_users) * (np.arange(3)[None, :] < n_favourites[:, None])
    taste /= taste.sum(axis=1, keepdims=True)
    activity = rng.lognormal(0.0, 1.0, n_users)
    counts = 1 + rng.multinomial(size - n_users, activity / activity.sum())
    user = np.repeat(np.arange(n_users), counts)
    # Each event: a favourite category (85%) or global popularity (15%), then Zipf within it.
    slot = (rng.random(size)[:, None] > np.cumsum(taste, axis=1)[user]).sum(axis=1).clip(0, 2)
    category = favourites[user, slot]
    item = np.empty(size, dtype=np.int64)
    explore = rng.random(size) < 0.15
    item[explore] = np.searchsorted(global_cdf, rng.random(explore.sum()), side="right").clip(0, n_items - 1)
    for c in range(CATEGORIES):
        mask = ~explore & (category == c)
        if mask.any():
            members = by_category[c] if len(by_category[c]) else np.arange(n_items)
            cdf = category_cdf[c] if category_cdf[c] is not None else global_cdf
            item[mask] = members[np.searchsorted(cdf, rng.random(mask.sum()), side="right").clip(0, len(members) - 1)]
    kind = rng.choice(len(EVENT_TYPES), size, p=EVENT_SHARES)
    stamp = 1_700_000_000.0 + rng.random(size) * 90 * DAY
    return {"user": user, "item": item, "kind": kind, "stamp": stamp, "users": n_users, "items": n_items}


def to_events(columns: dict[str, np.ndarray]) -> list[Event]:
    users = [f"u{n:06d}" for n in range(columns["users"])]
    items = [f"p{n:06d}" for n in range(columns["items"])]
    return [Event(users[u], items[i], EVENT_TYPES[k], s)
            for u, i, k, s in zip(columns["user"].tolist(), columns["item"].tolist(),
                                  columns["kind"].tolist(), columns["stamp"].tolist())]


# --- measurement --------------------------------------------------------------------------

def latencies(fn, users: np.ndarray) -> dict[str, float]:
    fn(int(users[0]))  # warm-up (caches, lazy Gram matrix)
    samples = []
    for u in users.tolist():
        started = time.perf_counter()
        fn(u)
        samples.append(time.perf_counter() - started)
    ms = np.array(samples) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
            "max_ms": float(ms.max())}


def new_model(name: str, sequential_epochs: int):
    """The model as training builds it; the sequential one for a fixed number of epochs."""
    if name == "sequential":
        return SASRec(epochs=sequential_epochs, patience=0)
    return MODELS[name]()


def bench_model(name: str, data: Interactions, sample: np.ndarray, blas_threads: int | None,
                sequential_epochs: int = 2) -> dict:
    with PeakMemory() as fit_mem:
        started = time.perf_counter()
        model = new_model(name, sequential_epochs).fit(data)
        fit_seconds = time.perf_counter() - started
    result = {"model": name, "fit_s": fit_seconds, "fit_peak_mb": fit_mem.peak, "fit_rise_mb": fit_mem.rise,
              "kept_mb": fit_mem.end - fit_mem.start}
    if name == "sequential":
        result["epochs"] = sequential_epochs
    limit = threadpool_limits(blas_threads, "blas") if blas_threads else contextlib.nullcontext()
    with PeakMemory() as rec_mem, limit:
        result["recommend"] = latencies(
            lambda u: model.recommend(data.matrix[u], u, k=10, steps=data.steps_of(u)), sample)
        if name == "als":
            result["fold_in"] = latencies(lambda u: model.recommend(data.matrix[u], None, k=10), sample)
    result["recommend_peak_mb"], result["recommend_rise_mb"] = rec_mem.peak, rec_mem.rise
    del model
    _release()
    return result


def run_size(size: int, models: list[str], n_sample: int, seed: int, blas_threads: int | None,
             sequential_epochs: int = 2) -> dict:
    print(f"\n=== {size:,} events ===", flush=True)
    with PeakMemory() as gen_mem:
        started = time.perf_counter()
        columns = synthesise(size, seed)
        synth_s = time.perf_counter() - started
        started = time.perf_counter()
        events = to_events(columns)
        events_s = time.perf_counter() - started
    n_users, n_items = columns["users"], columns["items"]
    del columns
    with PeakMemory() as build_mem:
        started = time.perf_counter()
        data = Interactions.from_events(events)
        build_s = time.perf_counter() - started
    matrix = data.matrix
    per_item = np.asarray((matrix > 0).sum(axis=0)).ravel()
    top = np.sort(per_item)[::-1]
    head_share = top[: max(1, len(top) // 100)].sum() / max(1, top.sum())
    per_user = np.diff(matrix.indptr)
    info = {"events": size, "users": matrix.shape[0], "items": matrix.shape[1], "nnz": int(matrix.nnz),
            "density": matrix.nnz / (matrix.shape[0] * matrix.shape[1]),
            "top1pct_item_share": float(head_share),
            "items_per_user_p50": float(np.median(per_user)), "items_per_user_max": int(per_user.max()),
            "synthesise_s": synth_s, "make_events_s": events_s, "events_peak_mb": gen_mem.peak,
            "events_rise_mb": gen_mem.rise,
            "build_s": build_s, "build_peak_mb": build_mem.peak, "build_rise_mb": build_mem.rise}
    print(f"data: {info['users']:,} users x {info['items']:,} items (asked {n_users:,} x {n_items:,}), "
          f"{info['nnz']:,} non-zero cells (density {info['density']:.4%}); "
          f"top 1% items hold {head_share:.0%} of (user, item) pairs; "
          f"items/user p50 {info['items_per_user_p50']:.0f}, max {info['items_per_user_max']}")
    print(f"  synthesise arrays    {synth_s:7.2f} s")
    print(f"  make Event objects   {events_s:7.2f} s   peak {gen_mem.peak:6.0f} MB "
          f"(+{gen_mem.rise:.0f} MB for the event list)")
    print(f"  matrix build         {build_s:7.2f} s   peak {build_mem.peak:6.0f} MB (+{build_mem.rise:.0f} MB)   "
          f"= {size / build_s:,.0f} events/s  (Interactions.from_events)", flush=True)
    del events
    _release()
    rng = np.random.default_rng(seed + 1)
    sample = np.sort(rng.choice(matrix.shape[0], min(n_sample, matrix.shape[0]), replace=False))
    results = []
    for name in models:
        r = bench_model(name, data, sample, blas_threads, sequential_epochs)
        results.append(r)
        epochs = f" ({r['epochs']} epochs)" if "epochs" in r else ""
        line = (f"  {name:<10} fit {r['fit_s']:7.2f} s{epochs}  peak {r['fit_peak_mb']:6.0f} MB (+{r['fit_rise_mb']:5.0f})  "
                f"| recommend p50 {r['recommend']['p50_ms']:8.2f} ms  p95 {r['recommend']['p95_ms']:8.2f} ms  "
                f"peak {r['recommend_peak_mb']:6.0f} MB (+{r['recommend_rise_mb']:4.0f})")
        print(line, flush=True)
        if "fold_in" in r:
            print(f"  {'':<10} {'':<52}| fold-in   p50 {r['fold_in']['p50_ms']:8.2f} ms  "
                  f"p95 {r['fold_in']['p95_ms']:8.2f} ms   (user=None)", flush=True)
    return {"data": info, "models": results}


def table(runs: list[dict]) -> None:
    print("\nSummary (latency over the same users; memory = process peak / rise above phase start)")
    head = (f"{'events':>9} {'model':<11} {'fit s':>8} {'fit peak MB':>12} {'+MB':>6} "
            f"{'rec p50 ms':>11} {'rec p95 ms':>11} {'fold-in p50':>12} {'fold-in p95':>12}")
    print(head)
    print("-" * len(head))
    for run in runs:
        if "data" not in run:
            continue
        d = run["data"]
        print(f"{d['events']:>9,} {'[build]':<11} {d['build_s']:>8.2f} {d['build_peak_mb']:>12.0f} "
              f"{d['build_rise_mb']:>6.0f} {'':>11} {'':>11} {'':>12} {'':>12}")
        for r in run["models"]:
            fold = r.get("fold_in")
            folded = f"{fold['p50_ms']:>12.2f} {fold['p95_ms']:>12.2f}" if fold else f"{'-':>12} {'-':>12}"
            print(f"{d['events']:>9,} {r['model']:<11} {r['fit_s']:>8.2f} {r['fit_peak_mb']:>12.0f} "
                  f"{r['fit_rise_mb']:>6.0f} {r['recommend']['p50_ms']:>11.2f} {r['recommend']['p95_ms']:>11.2f} "
                  f"{folded}")


def bench_personaliser(n_sample: int, seed: int) -> dict:
    """What one chat turn costs the recommender on the built shop: `Personaliser.recommend` for a
    shopper whose visit is two clicks old (history read included), and one sequential score."""
    from core.services import make_personaliser
    from core.settings import get_settings

    with PeakMemory() as load_mem:
        started = time.perf_counter()
        personaliser = make_personaliser(get_settings())
        load_s = time.perf_counter() - started
    if personaliser.sequential is None:
        raise SystemExit("var/cf has no sequential model: run `shopbot recommender train` first")
    rng = np.random.default_rng(seed)
    items = [i for i, ok in zip(personaliser.items, personaliser.available) if ok]
    visits = [list(rng.choice(items, 2, replace=False)) for _ in range(n_sample)]
    now = time.time()
    real = personaliser.history_of

    def recommend(n: int) -> None:
        visit = visits[n % len(visits)]
        personaliser.history_of = lambda user: [Event(user, i, "click", now - 60 + j) for j, i in enumerate(visit)]
        personaliser.recommend(f"bench-{n}", k=10)

    def score(n: int) -> None:
        steps = personaliser.steps([], visits[n % len(visits)] + [items[n % len(items)]])
        personaliser.sequential.score_steps(None, steps)

    sample = np.arange(n_sample)
    result = {"load_s": load_s, "load_rise_mb": load_mem.rise,
              "recommend": latencies(recommend, sample), "score_steps": latencies(score, sample)}
    personaliser.history_of = real
    print(f"\nPersonaliser on the built shop ({len(personaliser.items):,} items): load {load_s:.2f} s "
          f"(+{load_mem.rise:.0f} MB); recommend with a 2-click visit p50 {result['recommend']['p50_ms']:.2f} ms "
          f"p95 {result['recommend']['p95_ms']:.2f} ms; sequential score_steps p50 "
          f"{result['score_steps']['p50_ms']:.2f} ms p95 {result['score_steps']['p95_ms']:.2f} ms", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["100000", "1000000"],
                        help="event counts (space- or comma-separated)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--users-sample", type=int, default=200, help="users timed per model")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="cap BLAS threads while timing recommend (default: the library's own, as the app runs)")
    parser.add_argument("--sequential-epochs", type=int, default=2,
                        help="epochs the sequential model trains (fit time is per epoch × this)")
    parser.add_argument("--personaliser", action="store_true",
                        help="also time the chat's calls on the built shop (var/): recommend with a visit, score_steps")
    parser.add_argument("--json", nargs="?", const="-", metavar="PATH",
                        help="also write the figures as JSON (to PATH, or stdout without one)")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for arg in args.sizes for s in arg.split(",") if s]
    print(f"cores: {psutil.cpu_count()}  memory method: {PeakMemory.method}  "
          f"models: {', '.join(args.models)}  sample: {args.users_sample} users  seed: {args.seed}  "
          f"BLAS threads while timing: {args.blas_threads or 'library default'}  "
          f"load average: {' '.join(f'{x:.1f}' for x in psutil.getloadavg())}")
    import implicit.cpu.als  # noqa: F401  (ALS.fit imports it lazily; keep the import out of the first fit time)

    started = time.perf_counter()
    runs = [run_size(size, args.models, args.users_sample, args.seed, args.blas_threads, args.sequential_epochs)
            for size in sizes]
    total = time.perf_counter() - started
    table(runs)
    if args.personaliser:
        runs.append({"personaliser": bench_personaliser(args.users_sample, args.seed)})
    print(f"\ntotal wall time {total:.1f} s")
    if args.json:
        text = json.dumps({"runs": runs, "total_s": total, "memory_method": PeakMemory.method,
                           "blas_threads": args.blas_threads}, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
