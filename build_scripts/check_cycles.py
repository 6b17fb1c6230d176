"""Fail on any import cycle between two modules of app/ or sync/.

Complements import-linter's `acyclic_siblings` contract (pyproject.toml), which checks the
children of each package against each other but not a package's own `__init__` against its
children (app.cache -> app.cache.store -> app.cache). Same graph as import-linter (grimp):
imports inside functions and under `if TYPE_CHECKING:` count.

    python build_scripts/check_cycles.py
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "sync")


def find_cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """One shortest cycle (first module repeated at the end) per import that closes a cycle."""
    cycles: dict[frozenset[str], tuple[str, ...]] = {}
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycle = (importer, *back)
                cycles.setdefault(frozenset(cycle), cycle)
    return sorted(cycles.values())


def main() -> int:
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    cycles = find_cycles(graph)
    for cycle in cycles:
        lines = []
        for importer, imported in itertools.pairwise(cycle):
            at = sorted({d["line_number"] for d in graph.get_import_details(importer=importer, imported=imported)})
            lines.append(f"{importer} -> {imported} (l.{', '.join(map(str, at))})")
        print("import cycle:\n  " + "\n  ".join(lines))
    if cycles:
        print(f"{len(cycles)} import cycle(s) in {', '.join(PACKAGES)}")
        return 1
    print(f"no import cycles in {', '.join(PACKAGES)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
