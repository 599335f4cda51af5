"""`python -m index`: build, stats, ask."""

import sys

from .cli import main

sys.exit(main())
