"""readlog's tests. Importing this package puts `src/` on `sys.path`, so
`python3 -m unittest` runs them from a fresh clone without installing readlog."""

import sys
from pathlib import Path

_SRC = str(Path(__file__).resolve().parent.parent / "src")
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)
