"""`shopbot doctor`: check the machine and the built artefacts, and say how to fix each problem."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from dataclasses import dataclass

from core.processes import port_free
from core.settings import Settings
from recommender.train import TrainingManifest
from retrieval.index import IndexManifest


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _python_version(binary) -> str | None:
    try:
        out = subprocess.run([str(binary), "-c", "import sys;print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=20)
    except OSError:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def run_checks(settings: Settings) -> list[Check]:
    checks: list[Check] = []
    here = "%d.%d" % sys.version_info[:2]
    checks.append(Check("python (.venv)", here == "3.11", f"Python {here}",
                        "用 Python 3.11 重新创建 .venv：rm -rf .venv && make setup"))
    rasa_python = _python_version(Path(settings.rasa_bin("python")))
    checks.append(Check("python (.venv-rasa)", rasa_python == "3.10",
                        f"Python {rasa_python}" if rasa_python else "missing",
                        "make setup（需要 python3.10，Rasa 3.6 不支持更新的版本）"))
    rasa_bin = Path(settings.rasa_bin())
    checks.append(Check("rasa installed", rasa_bin.exists(), str(rasa_bin),
                        "make setup 会安装 requirements/rasa.lock"))
    for name, port in (("rasa port", settings.rasa_port), ("action port", settings.action_port),
                       ("web port", settings.web_port)):
        free = port_free(settings.host, port)
        checks.append(Check(name, True, f"{port} {'free' if free else 'in use (already running?)'}",
                            ""))
    manifest = IndexManifest.read(settings.index_dir)
    checks.append(Check("embedding index", manifest is not None,
                        f"{manifest.count} products, model {manifest.model}" if manifest else "missing",
                        "shopbot setup（或 shopbot index build）"))
    if manifest and manifest.model != settings.embedding_model:
        checks.append(Check("index model", False,
                            f"index built with {manifest.model}, settings say {settings.embedding_model}",
                            "shopbot index build --force"))
    cf = TrainingManifest.read(settings.cf_dir)
    checks.append(Check("CF model", cf is not None,
                        f"{cf.items} items, {cf.users} users" if cf else "missing", "shopbot setup"))
    models = sorted(settings.path(settings.models_dir).glob("*.tar.gz"))
    checks.append(Check("rasa model", bool(models), models[-1].name if models else "missing",
                        "shopbot train"))
    db_ok = settings.db_url.startswith("sqlite:///") and (settings.var / "shop.db").exists() \
        or not settings.db_url.startswith("sqlite:///")
    checks.append(Check("database", db_ok, settings.db_url.split("@")[-1], "shopbot setup"))
    return checks
