"""The ``bench`` package is run from the repository root (``python -m bench``), not
installed, so its tests put the root on the import path."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
