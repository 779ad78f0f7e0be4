"""The offline generator of the shop the project ships (data/catalog/*): `python -m shopgen`.

Code holds the model (shopgen/catalog.py, shoppers.py, events.py, orders.py); the tables it
draws from (catalog, promotions, places, habits) are YAML files in shopgen/tables/.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

TABLES = Path(__file__).with_name("tables")


@cache
def table(name: str) -> Any:
    """shopgen/tables/<name>.yml as plain data (read once per process)."""
    with (TABLES / f"{name}.yml").open(encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
