"""Front ends over the coverage engine: the Telegram bot and the terminal chat."""
