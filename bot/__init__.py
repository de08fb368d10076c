"""episode-bot: a podcast's back catalogue, as Discord slash commands."""

__version__ = "0.1.0"
