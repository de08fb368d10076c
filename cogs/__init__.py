"""The bot's features as discord.py extensions: each module has an async `setup(bot)`."""
