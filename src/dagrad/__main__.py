"""``python -m dagrad``: the same as the ``dagrad`` command."""
import sys

from .cli import main

sys.exit(main())
