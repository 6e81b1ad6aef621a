"""Copy the console snapshots (SVG) to docs/img for the operator guide.

Run after ``uv run pytest tests/console --snapshot-update``:
``python tests/console/export_docs_img.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).parent
SNAPSHOTS = HERE / "__snapshots__" / "test_snapshots"
TARGET = HERE.parent.parent / "docs" / "img"


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for raw in sorted(SNAPSHOTS.glob("test_*.raw")):
        out = TARGET / f"console-{raw.stem.removeprefix('test_').replace('_', '-')}.svg"
        shutil.copyfile(raw, out)
        print(out.relative_to(TARGET.parent.parent))


if __name__ == "__main__":
    main()
