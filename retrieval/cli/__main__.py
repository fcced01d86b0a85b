"""`python -m retrieval.cli` is `newsqa`."""

import sys

from retrieval.cli import main

sys.exit(main())
