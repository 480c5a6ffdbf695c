"""schemathesis hooks for wagate's management API.

Webhook subscriptions are verified before they are stored (a GET that must echo
`hub.challenge`), so a generated URL that points nowhere is refused with 422, as documented.
To exercise subscriptions end to end, a generated URL that is *valid* is pointed at the
loopback receiver (`WAGATE_FUZZ_RECEIVER`); an invalid one is left as generated, so negative
tests stay negative.

A contact's or the account's `timezone` must name a zone of the IANA database, which no
pattern can say: a generated name that matches the document's pattern is replaced by a real
zone; one that does not is left as generated.

The same for a message report's `from`/`to`: a date or time that matches the document's
pattern may still not exist (`2026-02-30`) or lie past the last instant wagate represents
(9999-12-30); such a value is replaced by a real date.
"""

import os
import re
import sys
import uuid

import schemathesis

# Generating the coverage cases of deeply nested bodies (a campaign's `params`) recurses
# deep enough that CPython 3.11's default limit (1000) is hit inside `ast.parse`, which
# hypothesis calls to describe a strategy; that surfaces as "SystemError: AST constructor
# recursion depth mismatch" instead of a test result. Room for it:
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

RECEIVER = os.environ["WAGATE_FUZZ_RECEIVER"]
# The document's pattern for webhook URLs (crates/http/src/openapi.rs, WEBHOOK_URL).
WEBHOOK_URL = re.compile(
    r"^https?://[^/?#@\s\x00-\x1f\x7f-\x9f]+([/?#][^\s\x00-\x1f\x7f-\x9f]*)?$"
)


IDEMPOTENCY_KEY = re.compile(r"^[ -~]{1,255}$")
# The document's pattern for a timezone (crates/http/src/manage/{contacts,account}.rs).
TIMEZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z][A-Za-z0-9_+-]*)*$")


# The document's pattern for a report bound (crates/http/src/manage/messages.rs).
REPORT_BOUND = re.compile(
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9]))?$"
)


def _real_bound(value):
    """Whether a pattern-valid bound names an instant wagate can represent."""
    import datetime

    try:
        if len(value) == 10:
            d = datetime.date.fromisoformat(value)
            return 1 < d.year < 9999
        head, _, rest = value.partition(".")
        if rest:
            digits = "".join(c for c in rest if c.isdigit())
            value = head + value[len(head) + 1 + len(digits):]
        t = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return 1 < t.year < 9999
    except ValueError:
        return False


@schemathesis.hook
def before_call(ctx, case, kwargs):
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and IDEMPOTENCY_KEY.match(key):
        headers["Idempotency-Key"] = str(uuid.uuid4())
    op_id = case.operation.definition.raw.get("operationId")
    if op_id in ("list_messages", "export_messages") and isinstance(case.query, dict):
        for key in ("from", "to"):
            v = case.query.get(key)
            if isinstance(v, str) and REPORT_BOUND.match(v) and not _real_bound(v):
                case.query[key] = "2026-12-07"
        return
    if op_id in ("create_contact", "update_contact", "update_account") and isinstance(
        case.body, dict
    ):
        tz = case.body.get("timezone")
        if isinstance(tz, str) and len(tz) <= 64 and TIMEZONE.match(tz):
            case.body["timezone"] = "Europe/London"
        return
    if op_id not in ("create_webhook", "update_webhook") or not isinstance(case.body, dict):
        return
    url = case.body.get("url")
    if isinstance(url, str) and len(url) <= 2048 and WEBHOOK_URL.match(url):
        case.body["url"] = RECEIVER
