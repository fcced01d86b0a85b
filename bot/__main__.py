"""`python -m bot` runs the Discord bot (the same as `newsqa discord`)."""

import sys

from bot.app import main

sys.exit(main())
