"""Which room may import which (README "Layout", docs/architecture.md), checked on the source.

Rooms are the top-level packages. A room imports only the rooms listed for it; `core`'s leaves
(stdlib only, imported by both Python environments) import nothing of ours; an action module
for one capability never imports another's. Function-level imports count too.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LIBRARIES = {"store", "retrieval", "recommender"}
# Modules of core that import only the standard library and third parties: both venvs load them.
LEAVES = {"core.numbers", "core.identity", "core.limits", "core.credentials", "core.manifest",
          "core.clock", "core.stances"}
ALLOWED: dict[str, set[str]] = {
    "store": {"store"},
    "retrieval": {"retrieval"},
    "recommender": {"recommender"},
    "shopgen": {"shopgen", "store"},
    "core": {"core", *LIBRARIES},
    "actions": {"actions", "core", *LIBRARIES},
    "web": {"web", "core", *LIBRARIES},
    "cli": {"cli", "core", "web", "shopgen", *LIBRARIES},
    "rasa_plugins": {"rasa_plugins"},
}
# Shared helpers of the action server; every other actions module is one capability.
ACTION_HELPERS = {"actions.context", "actions.render", "actions.services", "actions.metrics", "actions.server",
                  "actions.listening", "actions.finding"}


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.imported}: {self.rule}"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every import statement, relative ones resolved."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from pkg import module` imports pkg.module when it is one
                yield node.lineno, f"{target}.{alias.name}"


def check(root: Path) -> list[Violation]:
    """Every import across the rooms that the rules above forbid."""
    found = []
    for room in ALLOWED:
        for path in sorted((root / room).rglob("*.py")) if (root / room).is_dir() else []:
            module = module_name(root, path)
            tree = ast.parse(path.read_text(), str(path))
            for line, target in imports(tree, module, path.name == "__init__.py"):
                top = target.split(".")[0]
                if top not in ALLOWED and top not in ("bench", "tests"):
                    continue  # the standard library or a third party
                rel = str(path.relative_to(root))
                if module in LEAVES or any(module.startswith(leaf + ".") for leaf in LEAVES):
                    found.append(Violation(rel, line, target, f"{module} is a leaf: it imports nothing of ours"))
                elif not (top in ALLOWED[room] or any(target == leaf or target.startswith(leaf + ".")
                                                      for leaf in LEAVES)):
                    found.append(Violation(rel, line, target, f"{room} may import only {sorted(ALLOWED[room])} and core's leaves"))
                elif (room == "actions" and module not in ACTION_HELPERS and top == "actions"
                      and not any(target == h or target.startswith(h + ".") for h in ACTION_HELPERS)
                      and target.split(".")[:2] != module.split(".")[:2] and target != "actions"):
                    found.append(Violation(rel, line, target, "an action module imports only the shared helpers "
                                                              f"{sorted(ACTION_HELPERS)}, not another capability"))
    return found
