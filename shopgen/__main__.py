"""`python -m shopgen [OUT_DIR]`: rewrite the shipped shop (default data/catalog)."""
from __future__ import annotations

import sys
from pathlib import Path

from shopgen.generate import main

main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/catalog"))
