"""`python -m bot` is the same as the `episode-bot` command."""

from __future__ import annotations

import sys

from bot.app.cli import main

if __name__ == "__main__":
    sys.exit(main())
