"""The sequential recommender on small made-up histories: it learns what comes next from the
order of events (which ALS cannot), persists exactly, is deterministic, and takes part in
evaluation and (incremental) training like every other model."""
from __future__ import annotations

import random

import numpy as np
import pytest

from recommender.als import ALS
from recommender.data import Event, Interactions, Steps, hold_out_sessions, to_steps
from recommender.evaluate import evaluate_sessions
from recommender.sequential import SASRec
from recommender.train import TrainingManifest, train

TINY = {"hidden": 32, "blocks": 1, "max_len": 12, "epochs": 40, "patience": 6, "batch_size": 32, "lr": 3e-3,
        "threads": 1}


def journeys(users: int = 160, seed: int = 3, browsing: bool = True) -> list[Event]:
    """Two kinds of shopper touch the same two items in opposite order and then go on differently:
    A → B → C, or B → A → D; twice each, in visits an hour apart, after some browsing of unrelated
    items (when `browsing`)."""
    rng = random.Random(seed)
    events, t = [], 1_700_000_000.0
    for u in range(users):
        for _ in range(2):
            for _ in range(rng.randint(1, 3) if browsing else 0):
                t += 60
                events.append(Event(f"u{u}", f"noise{rng.randint(0, 29)}", "view", t))
            path = ("A", "B", "C") if u % 2 else ("B", "A", "D")
            for item in path:
                t += 60
                events.append(Event(f"u{u}", item, "click", t))
            t += 3600
    return events


@pytest.fixture(scope="module")
def journey_data() -> Interactions:
    return Interactions.from_events(journeys())


@pytest.fixture(scope="module")
def model(journey_data) -> SASRec:
    return SASRec(**TINY, seed=11).fit(journey_data)


def after(data: Interactions, *items: str) -> Steps:
    return Steps(np.array([data.item_index[i] for i in items]), np.full(len(items), 2, dtype=np.int8))


def best(data: Interactions, scores: np.ndarray, exclude: list[str]) -> str:
    scores = scores.copy()
    scores[[data.item_index[i] for i in exclude]] = -np.inf
    return data.items[int(np.argmax(scores))]


def test_it_learns_what_comes_next_from_the_order_which_als_cannot(journey_data, model):
    row = journey_data.history_row({"noise1": 1.0, "A": 2.0, "B": 2.0})
    a_then_b, b_then_a = after(journey_data, "noise1", "A", "B"), after(journey_data, "noise1", "B", "A")
    assert best(journey_data, model.score_steps(row, a_then_b), ["noise1", "A", "B"]) == "C"
    assert best(journey_data, model.score_steps(row, b_then_a), ["noise1", "A", "B"]) == "D"
    # ALS sees the same items either way: one list for both orders, so one of them is wrong.
    als = ALS(factors=8, iterations=10).fit(journey_data)
    assert np.array_equal(als.score_steps(row, a_then_b), als.score_steps(row, b_then_a))


def test_save_and_load_give_identical_scores(journey_data, model, tmp_path):
    model.save(tmp_path)
    loaded = SASRec.load(tmp_path)
    assert loaded.items == model.items and loaded.params() == model.params()
    for path in (("A", "B"), ("B", "A"), ("noise3",)):
        steps = after(journey_data, *path)
        assert np.array_equal(loaded.score_steps(None, steps), model.score_steps(None, steps))


def test_the_same_seed_trains_the_same_model(journey_data, model):
    again = SASRec(**TINY, seed=11).fit(journey_data)
    steps = after(journey_data, "noise1", "A")
    assert np.array_equal(again.score_steps(None, steps), model.score_steps(None, steps))


def test_event_type_is_part_of_the_input(journey_data, model):
    """A purchase and a view of the same item are different steps (the model is told which)."""
    viewed = Steps(np.array([journey_data.item_index["A"]]), np.array([1], dtype=np.int8))
    bought = Steps(np.array([journey_data.item_index["A"]]), np.array([4], dtype=np.int8))
    assert not np.allclose(model.score_steps(None, viewed), model.score_steps(None, bought))


def test_steps_keep_time_order_and_merge_a_run_on_one_item():
    index = {"x": 0, "y": 1}
    events = [Event("u", "x", "view", 1), Event("u", "x", "add_to_cart", 2), Event("u", "y", "view", 3),
              Event("u", "gone", "view", 4), Event("u", "x", "click", 5)]
    steps = to_steps(events, index)
    assert steps.items.tolist() == [0, 1, 0] and steps.kinds.tolist() == [3, 1, 2]
    data = Interactions.from_events(events)
    assert [data.items[i] for i in data.steps_of(0).items] == ["x", "y", "gone", "x"]


def test_held_out_sessions_are_each_users_last_visit():
    day = 86400.0
    events = [Event("u", "a", "view", 0), Event("u", "b", "view", day), Event("u", "c", "view", day + 600),
              Event("v", "a", "view", 0), Event("v", "b", "view", day)]  # v's last visit has one item
    split = hold_out_sessions(events)
    assert [e.item for e in split.sessions["u"]] == ["b", "c"] and "v" not in split.sessions
    assert sorted((e.user, e.item) for e in split.train) == [("u", "a"), ("v", "a"), ("v", "b")]


def test_session_protocol_rewards_knowing_the_order():
    """Each held-out visit (some browsing, then A → B → C or B → A → D) is predicted step by step
    from its first items: after A, B only the order tells C from D."""
    line_up = {"als": lambda fitted: ALS(factors=8, iterations=10), "sequential": lambda fitted: SASRec(**TINY, seed=5)}
    scores = evaluate_sessions(journeys(), line_up, k=3)
    assert scores["sequential"].users == scores["als"].users > 500  # up to five predictions per visit
    assert scores["sequential"].ndcg > scores["als"].ndcg + 0.05


def test_training_refits_then_continues_from_the_checkpoint(tmp_path):
    """`train` fits the sequential model in full, keeps it when nothing new happened, and goes on
    from the checkpoint on just the shoppers who acted since."""
    events = journeys(users=40)
    catalog = {e.item: "类" for e in events}
    first = train(events, catalog, tmp_path, "fp")
    assert first.models["sequential"]["mode"] == "full"
    before = SASRec.load(tmp_path)
    assert train(events, catalog, tmp_path, "fp").models["sequential"]["mode"] == "unchanged"
    t = max(e.timestamp for e in events)
    more = events + [Event("u1", "A", "click", t + 60), Event("u1", "B", "click", t + 120)]
    manifest = train(more, catalog, tmp_path, "fp")
    assert manifest.models["sequential"]["mode"] == "incremental (1 users)"
    assert TrainingManifest.read(tmp_path).interactions == len(more)
    after_update = SASRec.load(tmp_path)
    assert after_update.trained_epochs > before.trained_epochs
    steps = Steps(np.array([0, 1]), np.array([2, 2], dtype=np.int8))
    assert not np.array_equal(after_update.score_steps(None, steps), before.score_steps(None, steps))


def test_after_early_stopping_it_learns_the_held_out_last_steps():
    """Early stopping holds out every user's last step; the final epochs put them back. Shoppers
    go A → B → old, and half of them went A → B → new last: a move seen only as the newest step is
    learnt rather than thrown away."""
    rng = random.Random(5)
    noise = [f"noise{n}" for n in range(20)]
    events, t = [], 1_700_000_000.0
    for u in range(120):
        last = "new" if u % 2 else "old"
        for item in rng.sample(noise, 3) + ["A", "B", "old"] + rng.sample(noise, 3) + ["A", "B", last]:
            t += 60
            events.append(Event(f"u{u}", item, "click", t))
    data = Interactions.from_events(events)
    settings = {**TINY, "validation": 1.0, "seed": 2, "batch_size": 8}
    stopped = SASRec(**settings, final_epochs=0).fit(data)
    finished = SASRec(**settings).fit(data)
    assert finished.trained_epochs == stopped.trained_epochs + 2
    chance = {}
    for name, model in (("stopped", stopped), ("finished", finished)):
        scores = model.score_steps(None, after(data, "A", "B"))
        p = np.exp(scores - scores.max())
        chance[name] = float(p[data.item_index["new"]] / p.sum())
    assert chance["stopped"] < 0.01 and chance["finished"] > 0.2, chance  # "old" keeps the rest
