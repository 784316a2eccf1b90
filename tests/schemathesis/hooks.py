"""schemathesis hooks of the runs (test_schemathesis.py loads them through SCHEMATHESIS_HOOKS).

A body documented as `application/pdf` (an imported invoice's PDF, the invoices operator routes)
is sent as the bytes generated, as an `application/octet-stream` body is: schemathesis has no
serializer of its own for it. A JSON Lines file (`application/jsonl`, the invoices import, the only
type it takes) is sent as the string generated, as a `text/plain` body is.
"""

import schemathesis

schemathesis.serializer.alias("application/pdf", "application/octet-stream")
schemathesis.serializer.alias("application/jsonl", "text/plain")
