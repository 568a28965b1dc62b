"""Dependencies run one way (STYLE.md): community <- threads <- threads.perspectives <-
notifications. A lower app never imports a higher one; this test holds that, not memory."""

from __future__ import annotations

import ast
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
#: Lowest first. An app nested in another package is its own layer (the longest prefix wins).
LAYERS = ["community", "threads", "threads.perspectives", "notifications"]
#: The project's wiring: the ASGI entry point puts every app's routes together.
WIRING = {"community.asgi"}


def layer_of(module: str) -> str | None:
    found = [layer for layer in LAYERS if module == layer or module.startswith(layer + ".")]
    return max(found, key=len) if found else None


def modules():
    for package in ("community", "threads", "notifications"):
        for path in sorted((BASE_DIR / package).rglob("*.py")):
            if ".venv" in path.parts:
                continue
            yield ".".join(path.relative_to(BASE_DIR).with_suffix("").parts), path


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_module_imports_an_app_above_its_own():
    problems = []
    for module, path in modules():
        if module in WIRING:
            continue
        own = LAYERS.index(layer_of(module))
        above = sorted(
            name for name in imported(path) if (layer := layer_of(name)) is not None and LAYERS.index(layer) > own
        )
        if above:
            problems.append(f"{module} ({LAYERS[own]}) imports {above}")
    assert not problems, "Imports against the one-way order:\n" + "\n".join(problems)


def test_the_check_sees_an_upward_import(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from threads.perspectives.models import Perspective\nimport notifications.push\n")
    assert {layer_of(name) for name in imported(sneaky)} >= {"threads.perspectives", "notifications"}
    assert (
        layer_of("threads.models") == "threads" and layer_of("threads.perspectives.actions") == "threads.perspectives"
    )
