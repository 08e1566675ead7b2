"""The bot's HTTP side that belongs to no channel: the guarded aiohttp server (server.py),
the `/metrics` page (metrics.py) and the supervisors' dashboard (dashboard/).

bot/runtime.py puts them together with a channel's webhook; nothing here knows Telegram.
"""
