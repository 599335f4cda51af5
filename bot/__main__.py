"""`python -m bot --config PATH`: the Telegram bot when TELEGRAM_BOT_TOKEN is set, else the terminal chat."""

import sys

from .app import main

sys.exit(main())
