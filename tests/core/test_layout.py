"""The house's import rules (tests/support/layout_rules.py): the real tree keeps them, and a deliberate
break of each kind is reported with its file and line."""
from __future__ import annotations

from pathlib import Path

from tests.support.layout_rules import ALLOWED, check

ROOT = Path(__file__).resolve().parents[2]


def test_every_room_imports_only_what_it_may():
    assert [str(v) for v in check(ROOT)] == []
    assert all((ROOT / room).is_dir() for room in ALLOWED if room != "shopgen")


def write(root: Path, module: str, source: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        if str(parent) != ".":
            (root / parent / "__init__.py").touch()
    path.write_text(source)


def test_deliberate_violations_are_reported_with_file_and_line(tmp_path):
    write(tmp_path, "store.catalog", "import json\nfrom core.settings import Settings\n")
    write(tmp_path, "retrieval.query", "from core.numbers import chinese_to_int\n")  # a leaf: allowed
    write(tmp_path, "core.numbers", "def f():\n    from store.db import engine_for\n")
    write(tmp_path, "actions.cart", "from actions.context import shown\nfrom actions.search import describe\n")
    write(tmp_path, "actions.search", "from web.app import app\n")
    write(tmp_path, "rasa_plugins.nlu.x", "from retrieval.search import Searcher\n")
    write(tmp_path, "web.app", "from cli.main import app\nfrom core.settings import Settings\n")
    found = {(v.path, v.line, v.imported) for v in check(tmp_path)}
    assert found == {
        ("store/catalog.py", 2, "core.settings.Settings"),
        ("core/numbers.py", 2, "store.db.engine_for"),
        ("actions/cart.py", 2, "actions.search.describe"),
        ("actions/search.py", 1, "web.app.app"),
        ("rasa_plugins/nlu/x.py", 1, "retrieval.search.Searcher"),
        ("web/app.py", 1, "cli.main.app"),
    }
