"""Allow ``python -m sklstm demo``."""

import sys

from ._cli import main

sys.exit(main())
