"""`python -m bot`: the Telegram bot with TELEGRAM_BOT_TOKEN, else the terminal chat; `feedback`: ratings."""

import sys

from .app import main

sys.exit(main())
