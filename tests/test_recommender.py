"""Item-based CF finds items that the same shoppers engage with."""
from __future__ import annotations

from recommender.itemcf import ItemCF, read_manifest


def test_co_engaged_items_are_neighbours():
    rows = []
    for u in range(20):
        rows += [(f"a{u}", "phone", "purchase"), (f"a{u}", "earbuds", "add_to_cart")]
        rows += [(f"b{u}", "dress", "purchase"), (f"b{u}", "sneakers", "click")]
    rows.append(("c", "phone", "view"))
    rows.append(("c", "dress", "view"))
    model = ItemCF().fit(rows)
    assert model.similar("phone", k=1)[0][0] == "earbuds"
    assert model.similar("dress", k=1)[0][0] == "sneakers"
    assert model.similar("unknown") == []


def test_saved_model_round_trips(tmp_path):
    rows = [(f"u{i}", item, "click") for i in range(5) for item in ("x", "y")] + [("v", "z", "view")]
    model = ItemCF().fit(rows)
    from recommender.itemcf import CFManifest

    model.save(tmp_path, CFManifest("item-cf-cosine", 6, 3, len(rows), "fp", 0.0))
    loaded = ItemCF.load(tmp_path)
    assert loaded.similar("x") == model.similar("x")
    assert read_manifest(tmp_path).fingerprint == "fp"


def test_shipped_model_is_built(built):
    manifest = read_manifest(built.cf_dir)
    assert manifest is not None and manifest.items > 100 and manifest.users > 100
