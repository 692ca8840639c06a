"""The ``loopmlp`` command line (``loopmlp ...`` or ``python -m loopmlp ...``).

See :mod:`loopmlp.cli` for the subcommands; ``loopmlp --help`` lists them.
"""

from __future__ import annotations

import sys


def main(argv=None) -> int:
    """Run ``loopmlp`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code.

    Argument errors raise ``SystemExit(2)`` (argparse), ``--help`` ``SystemExit(0)``.
    """
    from .cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
