"""Running the bot for years: backups, the doctor, logs operators can read."""
