"""`python -m bot [slack|telegram]`: the front ends with tokens set, else the terminal chat; `feedback`."""

import sys

from .app import main

sys.exit(main())
