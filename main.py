"""Entry point: ``python main.py`` runs the same command line as the ``wfh-agent`` script."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
