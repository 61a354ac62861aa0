"""``python -m sim`` is the ``chokepoint`` command."""

import sys

from sim.cli import main

sys.exit(main())
