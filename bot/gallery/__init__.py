"""The public gallery of published stories, served by the bot's web server."""

from bot.gallery.server import Gallery

__all__ = ["Gallery"]
