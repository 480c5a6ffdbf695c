"""schemathesis hooks for wagate's management API.

Webhook subscriptions are verified before they are stored (a GET that must echo
`hub.challenge`), so a generated URL that points nowhere is refused with 422, as documented.
To exercise subscriptions end to end, a generated URL that is *valid* is pointed at the
loopback receiver (`WAGATE_FUZZ_RECEIVER`); an invalid one is left as generated, so negative
tests stay negative.

A contact's or the account's `timezone` must name a zone of the IANA database, which no
pattern can say: a generated name that matches the document's pattern is replaced by a real
zone; one that does not is left as generated.
"""

import os
import re
import uuid

import schemathesis

RECEIVER = os.environ["WAGATE_FUZZ_RECEIVER"]
# The document's pattern for webhook URLs (crates/http/src/openapi.rs, WEBHOOK_URL).
WEBHOOK_URL = re.compile(
    r"^https?://[^/?#@\s\x00-\x1f\x7f-\x9f]+([/?#][^\s\x00-\x1f\x7f-\x9f]*)?$"
)


IDEMPOTENCY_KEY = re.compile(r"^[ -~]{1,255}$")
# The document's pattern for a timezone (crates/http/src/manage/{contacts,account}.rs).
TIMEZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z][A-Za-z0-9_+-]*)*$")


@schemathesis.hook
def before_call(ctx, case, kwargs):
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and IDEMPOTENCY_KEY.match(key):
        headers["Idempotency-Key"] = str(uuid.uuid4())
    op_id = case.operation.definition.raw.get("operationId")
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
