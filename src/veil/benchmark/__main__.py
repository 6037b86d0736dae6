"""``python -m veil.benchmark ARGS`` is ``veil benchmark ARGS``."""
import sys

from ..cli import main

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "benchmark", *sys.argv[1:]]
    main()
