"""Telegram, the first channel: how the bot speaks the Bot API through aiogram.

What the routers in `handlers/` stand on, and what the composition root hands to the core:
the Bot and the middlewares every API call passes through (client.py), the Dispatcher with its
storage and per-person ordering (dispatcher.py, isolation.py), the durable inbox that stores
each update before Telegram is told it arrived (inbox.py, raw_updates.py), a service's Outcome
said as Telegram messages (replies.py), the outbox's Transport (transport.py), the staff
group's administration (chat_admin.py) and the command menus (menus.py).

The core (bot.domain, bot.ports, bot.services) never imports this package; routers use it, not
the other way round (pyproject.toml, [tool.importlinter]).
"""
