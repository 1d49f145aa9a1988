import sys
from pathlib import Path

# The result doubles live next to the tests; make them importable by name.
sys.path.insert(0, str(Path(__file__).parent))
