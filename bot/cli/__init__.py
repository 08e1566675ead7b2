"""Command-line entry points (`python -m bot …`); with bot.__main__ the only users of bot.app."""
