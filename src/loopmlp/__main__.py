"""The ``loopmlp`` command line (``python -m loopmlp``)."""

import sys


def main(argv=None) -> int:
    print("loopmlp: subcommands arrive with issues 3 and 4", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
