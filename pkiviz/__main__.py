"""``python -m pkiviz`` runs the command line."""

import sys

from pkiviz.cli import main

sys.exit(main())
