"""The Telegram front end (python-telegram-bot): handlers, delivery and HTML formatting over the chat core."""
