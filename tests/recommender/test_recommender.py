"""Each recommender against hand-computed results on tiny matrices, plus persistence."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest

from recommender.als import ALS
from recommender.base import top_k
from recommender.complements import Complements
from recommender.data import Event, Interactions, hold_out_complements, leave_last_out, read_ratings_file
from recommender.evaluate import evaluate_complements, rank_metrics
from recommender.itemcf import ItemCF
from recommender.mf import ExplicitMF
from recommender.popularity import Popularity
from recommender.usercf import UserCF
from tests.recommender.test_sequential import TINY

# Users × items ratings (0 = not rated): the textbook example.
R = [[5, 3, 0, 1],
     [4, 0, 0, 1],
     [1, 1, 0, 5],
     [1, 0, 0, 4],
     [0, 1, 5, 4]]


def ratings(matrix) -> Interactions:
    return Interactions.from_events(
        Event(f"u{u}", f"i{i}", "rating", float(u * 10 + i), float(r))
        for u, row in enumerate(matrix) for i, r in enumerate(row) if r)


def cosine(a, b) -> float:
    return sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def pearson(a, b) -> float:
    mean_a = sum(a) / sum(1 for x in a if x) if any(a) else 0
    mean_b = sum(b) / sum(1 for x in b if x) if any(b) else 0
    both = [(x - mean_a, y - mean_b) for x, y in zip(a, b) if x and y]
    num = sum(x * y for x, y in both)
    return num / math.sqrt(sum(x * x for x, _ in both) * sum(y * y for _, y in both))


def test_user_cf_cosine_is_the_classic_formula():
    data = ratings(R)
    model = UserCF(k=2, similarity="cosine").fit(data)
    sims = model.similarities(data.matrix[0], 0)
    assert sims == pytest.approx([0.0] + [cosine(R[0], R[v]) for v in range(1, 5)])
    # Item 0 was rated by u1, u2, u3; the two most similar to u0 are u1 and u2.
    s1, s2 = cosine(R[0], R[1]), cosine(R[0], R[2])
    expected = (s1 * 4 + s2 * 1) / (abs(s1) + abs(s2))
    predicted = model.predict(data.matrix[0], 0)
    assert predicted[0] == pytest.approx(expected)
    # Item 2 was rated only by u4: r̂ is u4's rating whatever the similarity.
    assert predicted[2] == pytest.approx(5.0)


def test_user_cf_pearson_uses_co_rated_items_and_signed_weights():
    data = ratings(R)
    model = UserCF(k=2, similarity="pearson").fit(data)
    sims = model.similarities(data.matrix[0], 0)
    assert sims[1] == pytest.approx(1.0)
    assert sims[2] == pytest.approx(pearson(R[0], R[2])) == pytest.approx(-math.sqrt(3) / 2)
    # Item 0: the two most similar raters are u1 (+1.0) and u2 (−0.866): Σ sim·r / Σ |sim|.
    s1, s2 = sims[1], sims[2]
    assert model.predict(data.matrix[0], 0)[0] == pytest.approx((s1 * 4 + s2 * 1) / (abs(s1) + abs(s2)))


def test_user_cf_k_limits_the_neighbourhood():
    data = ratings(R)
    one = UserCF(k=1).fit(data).predict(data.matrix[0], 0)
    assert one[0] == pytest.approx(4.0)  # only u1, the most similar rater of item 0


def test_user_cf_ranks_unseen_items_and_damps_thin_support():
    data = ratings(R)
    model = UserCF(k=3, shrink=1.0).fit(data)
    ranked = model.recommend(data.matrix[1], 1, k=5)
    assert {i for i, _ in ranked} == {1, 2}  # only what u1 has not rated
    predicted = model.predict(data.matrix[1], 1)
    scores = model.score(data.matrix[1], 1)
    assert scores[2] == pytest.approx(predicted[2] * 1 / (1 + 1.0))  # one supporting neighbour


def implicit_rows(groups: int = 2, users: int = 12, items: int = 6) -> list[Event]:
    """Users of group g engage with 4 random items of g0…g5 only; purchases of the first items."""
    rng = random.Random(3)
    events, t = [], 0.0
    for g in range(groups):
        for u in range(users):
            for i in sorted(rng.sample(range(items), 4)):
                t += 1
                events.append(Event(f"g{g}u{u}", f"g{g}i{i}", "purchase" if i < 2 else "click", t))
    return events


def test_item_cf_is_cosine_over_confidence_weighted_columns():
    events = [Event("a", "x", "purchase", 1), Event("a", "y", "click", 2),
              Event("b", "x", "view", 3), Event("b", "y", "view", 4), Event("b", "z", "purchase", 5)]
    data = Interactions.from_events(events)
    model = ItemCF().fit(data)
    x, y, z = (data.item_index[i] for i in "xyz")
    # columns: x = (5, 1), y = (2, 1), z = (0, 5)
    sim_xy = (5 * 2 + 1 * 1) / (math.sqrt(26) * math.sqrt(5))
    sim_xz = (1 * 5) / (math.sqrt(26) * 5)
    assert model.similarity[x, y] == pytest.approx(sim_xy, rel=1e-5)
    assert model.similarity[x, z] == pytest.approx(sim_xz, rel=1e-5)
    assert model.similarity[x, x] == 0  # an item is not its own neighbour
    history = data.history_row({"x": 5.0})
    assert model.score(history)[y] == pytest.approx(5 * sim_xy, rel=1e-5)
    assert model.similar("x", k=1)[0][0] == "y"


def test_item_cf_keeps_only_top_neighbours():
    data = Interactions.from_events(implicit_rows())
    model = ItemCF(neighbours=2).fit(data)
    assert max(np.diff(model.similarity.indptr)) == 2
    for item, _ in model.similar("g0i0", k=5):
        assert item.startswith("g0")  # never crosses into the other group's items


def test_als_recommends_within_the_users_taste_and_folds_in_new_history():
    data = Interactions.from_events(implicit_rows())
    model = ALS(factors=2, iterations=15).fit(data)  # two tastes, two factors
    assert model.user_factors.shape == (24, 2) and model.item_factors.shape == (12, 2)
    user = data.user_index["g1u0"]
    picks = [data.items[i] for i, _ in model.recommend(data.matrix[user], user, k=2)]
    assert picks and all(i.startswith("g1") for i in picks)
    # A brand-new shopper who clicked two g0 items gets g0 items, without retraining.
    fresh = data.history_row({"g0i0": 2.0, "g0i3": 2.0})
    picks = [data.items[i] for i, _ in model.recommend(fresh, None, k=3)]
    assert all(i.startswith("g0") for i in picks)


def test_als_incremental_update_moves_only_the_changed_user():
    data = Interactions.from_events(implicit_rows())
    model = ALS(factors=2, iterations=15).fit(data)
    before = model.user_factors.copy()
    switched = data.history_row({f"g1i{i}": 5.0 for i in range(6)})
    user = data.user_index["g0u1"]
    model.update_users({user: switched})
    assert not np.allclose(model.user_factors[user], before[user])
    others = [u for u in range(len(before)) if u != user]
    assert np.allclose(model.user_factors[others], before[others])
    top = data.items[model.recommend(data.matrix[user], user, k=1, exclude_seen=False)[0][0]]
    assert top.startswith("g1")


def test_explicit_mf_recovers_a_missing_rating_of_a_rank_one_matrix():
    truth = np.outer([1.0, 2.0, 1.5, 0.5, 1.2], [2.0, 1.0, 2.5, 1.5])  # every rating 0.5 … 5
    observed = truth.copy()
    observed[2, 3] = 0  # hide one cell
    data = ratings(observed.round(6).tolist())
    model = ExplicitMF(factors=2, regularization=0.001, iterations=50).fit(data)
    user = data.user_index["u2"]
    predicted = model.score(data.matrix[user], user)[data.item_index["i3"]]
    assert predicted == pytest.approx(truth[2, 3], abs=0.25)
    assert model.score(data.matrix[0], 0)[0] == pytest.approx(truth[0, 0], abs=0.1)


def test_popularity_global_and_trending():
    day = 86400.0
    events = [Event(f"old{u}", "classic", "purchase", 0.0) for u in range(5)]
    events += [Event(f"new{u}", "hot", "click", 30 * day) for u in range(3)]
    data = Interactions.from_events(events)
    everyone = Popularity().fit(data).score()
    assert everyone[data.item_index["classic"]] == 25 and everyone[data.item_index["hot"]] == 6
    trending = Popularity("trending").fit(data).score()
    assert trending[data.item_index["hot"]] > trending[data.item_index["classic"]]
    # 30 days at a 7-day half-life: 5 purchases × 5 × 2^(-30/7)
    assert trending[data.item_index["classic"]] == pytest.approx(25 * 2 ** (-30 / 7))


def test_held_out_complement_is_the_next_item_bought_from_another_category():
    """The pair is the last purchase/cart add followed within 14 days by one from another category
    (the first such); training keeps what the shopper did up to the first item, nothing after."""
    category = {"p1": "手机", "p2": "手机", "e1": "蓝牙耳机", "w1": "智能手表"}
    day = 86400.0
    events = [Event("u", "p1", "purchase", 0), Event("u", "e1", "purchase", day),
              Event("u", "w1", "view", 2 * day), Event("u", "p2", "add_to_cart", 3 * day),
              Event("u", "p2", "purchase", 3 * day), Event("u", "w1", "purchase", 4 * day),
              Event("u", "e1", "view", 5 * day),
              Event("v", "p1", "purchase", 0), Event("v", "e1", "purchase", 20 * day),       # too late
              Event("w", "p1", "purchase", 0), Event("w", "p2", "purchase", day)]            # same category
    split = hold_out_complements(events, category)
    assert split.pairs == {"u": ("p2", "w1")}
    assert [(e.item, e.event) for e in split.train if e.user == "u"] == [
        ("p1", "purchase"), ("e1", "purchase"), ("w1", "view"), ("p2", "add_to_cart"), ("p2", "purchase")]
    assert sum(e.user in ("v", "w") for e in split.train) == 4


def test_complements_ranked_by_taste_beat_popularity_on_held_out_baskets():
    """Shoppers keep to one brand: after a phone they buy that brand's earbuds. Ranking the rule's
    category by the served blend finds them; by popularity only the most popular brand's fans."""
    brands = ["A", "B", "C", "D"]
    category = {f"{b}{kind}{n}": name for b in brands for kind, name in (("p", "手机"), ("e", "蓝牙耳机"))
                for n in range(3)}
    brand_of = {item: item[0] for item in category}
    events, t, rng = [], 0.0, random.Random(3)
    for u in range(160):
        b = "A" if u % 2 else brands[1 + u // 2 % 3]  # half are A's fans
        for n in rng.sample(range(3), 3):
            t += 10_000
            events += [Event(f"u{u}", f"{b}p{n}", "purchase", t), Event(f"u{u}", f"{b}e{n}", "purchase", t + 3600)]
    category |= {"dress0": "连衣裙", "dress1": "连衣裙"}
    for u in range(160):  # other baskets, so that phones and earbuds go together more than by chance
        events += [Event(f"x{u}", f"dress{n}", "purchase", t + n) for n in range(2)]
    scores = evaluate_complements(events, category, brand_of, k=2, sequential=TINY)
    assert scores["blend (served)"].users == 160
    assert scores["blend (served)"].ndcg > scores["popularity"].ndcg + 0.2


def test_complements_come_from_other_categories_with_lift_and_confidence():
    category = {"p1": "手机", "p2": "手机", "e1": "蓝牙耳机", "e2": "蓝牙耳机", "d1": "连衣裙",
                "s1": "运动鞋", "c1": "手机壳"}
    events, t = [], 0.0
    for u in range(6):  # phone buyers come back for earphones; two buy a second phone
        t += 1
        events.append(Event(f"a{u}", "p1" if u % 2 else "p2", "purchase", t))
        events.append(Event(f"a{u}", "e1", "purchase", t + 3600))
        if u < 2:
            events.append(Event(f"a{u}", "p1" if u % 2 == 0 else "p2", "purchase", t + 7200))
    for u in range(4):  # dress buyers buy shoes
        events += [Event(f"b{u}", "d1", "purchase", t), Event(f"b{u}", "s1", "add_to_cart", t + 60)]
    events.append(Event("late", "p1", "purchase", 0.0))
    events.append(Event("late", "c1", "purchase", 100 * 86400.0))  # outside the 14-day window
    model = Complements(min_support=2, min_lift=1.0).fit(events, category)
    rules = model.categories_for("手机")
    assert [r.consequent for r in rules] == ["蓝牙耳机"]
    # 10 baskets: 6 hold 手机 and 蓝牙耳机, 4 hold 连衣裙 and 运动鞋.
    assert rules[0].confidence == pytest.approx(1.0) and rules[0].lift == pytest.approx(10 / 6, rel=1e-3)
    preference = {"e1": 1.0, "e2": 9.0, "s1": 1.0}
    picks = [i for i, _ in model.for_category("手机", category, preference.get, k=3)]
    assert picks == ["e2", "e1"]  # the rule picks the category, the caller's preference the order
    assert [i for i, _ in model.for_category("手机", category, {"e1": 5.0, "e2": 1.0}.get, k=3)] == ["e1", "e2"]
    assert [i for i, _ in model.for_category("手机", category, preference.get, k=3, exclude={"e2"})] == ["e1"]
    assert [i for i, _ in model.for_category("连衣裙", category, preference.get)] == ["s1"]


def test_leave_last_out_holds_out_each_users_latest_item_entirely():
    events = [Event("u", "a", "view", 1), Event("u", "b", "view", 2), Event("u", "c", "view", 3),
              Event("u", "c", "purchase", 5), Event("u", "a", "click", 4),
              Event("v", "a", "view", 1), Event("v", "b", "view", 2)]
    split = leave_last_out(events, min_items=3)
    assert split.held_out == {"u": "c"}
    assert not any(e.user == "u" and e.item == "c" for e in split.train)
    assert sum(e.user == "v" for e in split.train) == 2  # too short to evaluate, kept for training


def test_rank_metrics_by_hand():
    p, r, f1, ndcg, ap = rank_metrics([7, 3, 9], relevant=3, k=10)
    assert (p, r) == (0.1, 1.0)
    assert f1 == pytest.approx(2 * 0.1 / 1.1)
    assert ndcg == pytest.approx(1 / math.log2(3)) and ap == pytest.approx(0.5)
    assert rank_metrics([7, 3, 9], relevant=4, k=10) == (0, 0, 0, 0, 0)


def test_top_k_excludes_and_breaks_ties_deterministically():
    assert top_k(np.array([1.0, 3.0, 3.0, 2.0]), exclude=[1], k=2) == [(2, 3.0), (3, 2.0)]


@pytest.mark.parametrize("model", [Popularity(), ItemCF(), UserCF(), ALS(factors=4, iterations=3),
                                   ExplicitMF(factors=2, iterations=3)], ids=lambda m: m.name)
def test_every_model_saves_and_loads_with_identical_scores(model, tmp_path):
    data = Interactions.from_events(implicit_rows())
    model.fit(data)
    model.save(tmp_path)
    loaded = type(model).load(tmp_path)
    assert loaded.items == model.items and loaded.params() == model.params()
    history = data.matrix[3]
    assert np.allclose(loaded.score(history, 3), model.score(history, 3))


@pytest.mark.parametrize("layout", ["csv", "u.data", "ratings.dat"])
def test_movielens_files_in_every_layout(tmp_path, layout):
    lines = {"csv": "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n",
             "u.data": "196\t242\t3\t881250949\n186\t302\t3\t891717742\n",
             "ratings.dat": "1::1193::5::978300760\n1::661::3::978302109\n"}[layout]
    path = tmp_path / layout
    path.write_text(lines)
    events = list(read_ratings_file(path))
    assert len(events) == 2 and all(e.event == "rating" for e in events)
    assert events[0].weight > 0 and events[0].timestamp > 8e8


def test_movielens_bad_line_is_reported_by_number(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,31,good,1260759144\n")
    with pytest.raises(ValueError, match="第 3 行"):
        list(read_ratings_file(path))
