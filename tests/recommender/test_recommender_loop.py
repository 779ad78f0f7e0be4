"""The loop a shop runs: chat events are written back, `shopbot recommender train` refits
(incrementally), recommendations change; `shopbot eval recommender` measures it all."""
from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest

from tests.conftest import shop_token
from recommender.train import TrainingManifest

SHOPBOT = [sys.executable, "-m", "cli.main"]


def shopbot(settings, *args: str) -> subprocess.CompletedProcess:
    env = {"SHOPBOT_VAR_DIR": str(settings.var), "SHOPBOT_DATABASE_URL": settings.db_url,
           "PATH": "/usr/bin:/bin", "HOME": str(settings.var)}
    return subprocess.run(SHOPBOT + list(args), cwd=settings.root, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow  # two CLI trainings
def test_chat_events_feed_recommendations_and_incremental_training(shop, client_for):
    # The developer's var/shop.db may hold chat events var/cf was never trained on (chatting in
    # `make run` writes them): refit this copy first, so the refit below sees this shopper's four.
    assert shopbot(shop, "recommender", "train").returncode == 0
    client = client_for(shop)
    shopper = "chat-shopper-1"
    me = {"Authorization": f"Bearer {shop_token(shop, shopper)}"}
    cold = client.get("/api/recommendations", params={"k": 5}, headers=me).json()["products"]
    assert all(p["reason"] == "本周热销" for p in cold)
    coffee = [p["id"] for p in client.get("/api/recommendations", params={"category": "咖啡", "k": 3}).json()["products"]]
    for item in coffee[:2]:
        for event in ("view", "click"):
            assert client.post("/api/events", json={"product_id": item, "event": event},
                               headers=me).status_code == 201
    # Fresh history counts at once (fold-in), before any retraining.
    warm = client.get("/api/recommendations", params={"k": 5}, headers=me).json()["products"]
    assert [p["id"] for p in warm] != [p["id"] for p in cold]
    assert any("咖啡" in p["reason"] or p["reason"].startswith("因为你") for p in warm)
    # Whose list it is comes from the token: a user_id parameter changes nothing.
    assert client.get("/api/recommendations", params={"k": 5, "user_id": shopper}).json()["products"] == cold

    before = TrainingManifest.read(shop.cf_dir).interactions
    run = shopbot(shop, "recommender", "train")
    assert run.returncode == 0, run.stderr
    manifest = TrainingManifest.read(shop.cf_dir)
    assert manifest.models["als"]["mode"] == "incremental (1 users)"
    assert manifest.interactions == before + 4  # two views and two clicks
    assert f"trained on {manifest.interactions} events" in run.stdout


def test_event_api_rejects_bad_events_with_chinese_reasons(shop, client_for):
    client = client_for(shop)
    me = {"Authorization": f"Bearer {shop_token(shop, 'x', 60)}"}
    unknown = client.post("/api/events", json={"product_id": "NOPE", "event": "click"}, headers=me)
    assert unknown.status_code == 404 and "商品" in unknown.json()["detail"]
    wrong = client.post("/api/events", json={"product_id": "SKU010001", "event": "steal"}, headers=me)
    assert wrong.status_code == 422 and "请求格式不正确" in wrong.json()["detail"]
    assert client.get("/api/products/NOPE/complements").status_code == 404
    pairs = client.get("/api/products/SKU010001/complements").json()["products"]
    assert pairs and all(p["category"] != "手机" and p["reason"] for p in pairs)


def write_movielens(path, users: int = 60, items: int = 40, seed: int = 5) -> None:
    """Two taste groups rating their own half of the items high, in time order."""
    rng = random.Random(seed)
    lines, t = ["userId,movieId,rating,timestamp"], 1_000_000_000
    for u in range(1, users + 1):
        own = range(1, items // 2 + 1) if u % 2 else range(items // 2 + 1, items + 1)
        for movie in rng.sample(list(own), 8):
            t += 60
            lines.append(f"{u},{movie},{rng.choice([3.5, 4, 4.5, 5])},{t}")
        for movie in rng.sample(range(1, items + 1), 2):
            t += 60
            lines.append(f"{u},{movie},{rng.choice([1, 2, 2.5])},{t}")
    path.write_text("\n".join(lines) + "\n")


def test_eval_accepts_any_movielens_file(shop, tmp_path):
    ratings = tmp_path / "ratings.csv"
    write_movielens(ratings)
    run = shopbot(shop, "eval", "recommender", "--ratings", str(ratings), "--k", "10", "--json")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    models = report["models"]
    assert set(models) == {"popularity", "usercf", "itemcf", "als", "sequential", "mf", "blend"}
    for m in models.values():
        assert set(m) >= {"precision", "recall", "f1", "ndcg", "map", "coverage"}
        assert 0 <= m["ndcg"] <= 1 and m["users"] == 60
    best = max(models[n]["ndcg"] for n in ("usercf", "itemcf", "als"))
    assert best > models["popularity"]["ndcg"]
    table = shopbot(shop, "eval", "recommender", "--ratings", str(ratings))
    assert "NDCG@10" in table.stdout and "popularity" in table.stdout


def test_eval_reports_a_broken_ratings_file(shop, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("userId,movieId,rating,timestamp\n1,2,oops,3\n")
    run = shopbot(shop, "eval", "recommender", "--ratings", str(bad))
    assert run.returncode == 2 and "第 2 行" in run.stderr


@pytest.mark.slow  # every model evaluated on the shipped history
def test_on_the_shipped_shop_personalised_beats_popularity(shop):
    run = shopbot(shop, "eval", "recommender", "--k", "10", "--json")
    assert run.returncode == 0, run.stderr
    models = json.loads(run.stdout)["models"]
    best = max(models[n]["ndcg"] for n in ("usercf", "itemcf", "als", "blend"))
    assert best > models["popularity"]["ndcg"]
    assert models["als"]["coverage"] > models["popularity"]["coverage"]
