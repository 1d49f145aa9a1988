import sys
from pathlib import Path

# gan_helpers lives next to the tests; make it importable by name.
sys.path.insert(0, str(Path(__file__).parent))
