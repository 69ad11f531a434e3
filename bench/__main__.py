"""`python -m bench` runs every benchmark with its defaults; `python -m bench <name> [options]` runs one
(`python -m bench events --help` for its options). A benchmark is any module of this package with a
`main(argv)` function; it prints its figures and their ratio to the targets."""

import importlib
import pkgutil
import signal
import sys
from pathlib import Path


def benchmarks() -> list[str]:
    return sorted(module.name for module in pkgutil.iter_modules([str(Path(__file__).parent)])
                  if not module.name.startswith("_"))


def run(name: str, options: list[str]) -> int:
    return importlib.import_module(f"bench.{name}").main(options) or 0


def main(argv: list[str]) -> int:
    names = benchmarks()
    if argv and argv[0] in ("-h", "--help"):
        print(f"{__doc__}\nbenchmarks: {', '.join(names)}")
        return 0
    if not argv:
        return max((run(name, []) for name in names), default=0)
    if argv[0] not in names:
        print(f"unknown benchmark {argv[0]!r}; choose from: {', '.join(names)}", file=sys.stderr)
        return 2
    return run(argv[0], argv[1:])


if __name__ == "__main__":
    # SIGTERM (a `kill`, a CI timeout) ends the run like Ctrl-C: the private fleet's PostgreSQL, Redis and
    # broker are stopped on the way out instead of being left running.
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    sys.exit(main(sys.argv[1:]))
