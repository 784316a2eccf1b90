"""`python -m guichet_contracts.domain_events`: docs/EVENTS.md on standard output."""

import sys

from .document import markdown

sys.stdout.write(markdown())
