"""Validation of all authored graph data in one call (used by `etude kg validate` and tests)."""

from __future__ import annotations

import sys
from pathlib import Path

from kg.catalog import load_catalog, validate_catalog
from kg.curriculum import DATA_DIR, load_curriculum, validate_curriculum


def validate_all(
    data_dir: Path | None = None, check_examples: bool = True, prose: bool = True
) -> list[str]:
    """Problems of the curriculum, the catalog and (with `prose`) the relation extractor's
    hand-annotated training sentences, which are checked apart because reading them loads torch."""
    data_dir = data_dir or DATA_DIR
    concepts = load_curriculum(data_dir / "curriculum")
    catalog = load_catalog(data_dir / "catalog")
    problems = validate_curriculum(concepts, catalog.ids("instruments"), check_examples)
    problems += validate_catalog(catalog, {c.id for c in concepts})
    if prose:
        from kg.extract.prose import read

        problems += [f"relext training prose: {p}"
                     for p in read(sorted((data_dir / "relext" / "train").glob("*.yml")))[1]]
    return problems


if __name__ == "__main__":
    found = validate_all()
    for line in found:
        print(line)
    concepts = load_curriculum()
    catalog = load_catalog()
    print(
        f"{len(concepts)} concepts, {len(catalog.people)} people, {len(catalog.works)} works: "
        f"{len(found)} problems",
        file=sys.stderr,
    )
    sys.exit(1 if found else 0)
