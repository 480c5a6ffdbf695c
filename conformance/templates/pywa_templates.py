"""Templates through the unmodified pywa library's template builders (conformance harness).

Run with the venv made by ``conformance/webhooks/setup.sh``:

    <cache>/venv/bin/python pywa_templates.py --base-url URL --token KEY \
        --waba-id W --phone-id P [--to +15551230001] [--wait 15]

(or the environment variables WAGATE_BASE_URL, WAGATE_API_KEY, WAGATE_WABA_ID,
WAGATE_PHONE_NUMBER_ID). It creates templates with pywa's builder objects
(``Template``, ``HeaderText``, ``BodyText``, ``Buttons``, ...), lists them with
``WhatsApp.get_templates``, waits for APPROVED with ``WhatsApp.get_template``,
sends each with ``WhatsApp.send_template`` and the components' ``params``, and
sends one template with a missing body parameter, which must be refused.

Every operation prints one JSON line: ``{"op", "template"?, "ok", "detail"}``.
The script exits 0 whatever happened; the caller judges.

pywa 4.5.0 has no base-URL option: ``GraphAPI.__init__`` sets the httpx
session's ``base_url`` to ``https://graph.facebook.com/v{api_version}``. The
documented ``session=`` argument takes any ``httpx.Client``, so the script
passes one whose transport sends requests for graph.facebook.com to wagate.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback

import httpx
from pywa import WhatsApp
from pywa.errors import WhatsAppError
from pywa.types.templates import (
    AuthenticationBody,
    AuthenticationFooter,
    BodyText,
    Buttons,
    CopyCodeButton,
    CopyCodeOTPButton,
    FooterText,
    HeaderImage,
    HeaderText,
    ParamFormat,
    QuickReplyButton,
    Template,
    TemplateCategory,
    TemplateLanguage,
    TemplateStatus,
    URLButton,
)

LANG = TemplateLanguage.ENGLISH_US
# A resumable-upload file handle as Meta returns it ("4::<base64 mime>:<id>"): pywa
# uses a handle as the header example as is, with no upload (media uploads are not
# part of this check).
IMAGE_HANDLE = "4::aW1hZ2UvanBlZw==:ARZsampleHandleForTheHeaderExample"


def emit(op: str, ok: bool, detail, template: str | None = None) -> None:
    rec = {"op": op, "ok": ok, "detail": detail}
    if template is not None:
        rec["template"] = template
    sys.stdout.write(json.dumps(rec, default=str) + "\n")
    sys.stdout.flush()


def error_detail(e: BaseException) -> dict:
    if isinstance(e, WhatsAppError):
        return {
            "error": type(e).__name__,
            "code": e.code,
            "subcode": e.subcode,
            "message": e.message,
            "details": e.details,
        }
    return {
        "error": type(e).__name__,
        "message": str(e),
        "trace": traceback.format_exc(limit=3),
    }


class ToWagate(httpx.HTTPTransport):
    """Sends requests addressed to graph.facebook.com to wagate's base URL instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._base = httpx.URL(base_url)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "graph.facebook.com":
            prefix = self._base.raw_path.rstrip(b"/")
            request.url = request.url.copy_with(
                scheme=self._base.scheme,
                host=self._base.host,
                port=self._base.port,
                raw_path=prefix + request.url.raw_path,
            )
            request.headers["Host"] = self._base.netloc.decode("ascii")
        return super().handle_request(request)


def templates():
    """Each template built with pywa's classes, and the params to send it with."""
    # MARKETING: text header with a positional variable, body with variables and
    # examples, footer, a quick reply and a dynamic URL button.
    header = HeaderText("Big news for {{1}}", "Ana")
    body = BodyText(
        "Hi {{1}}, your code {{2}} gives you early access to our new spring collection.",
        "Ana",
        "EARLY25",
    )
    quick = QuickReplyButton(text="Not interested")
    url = URLButton(
        text="Shop now",
        url="https://shop.example.com/c/{{1}}",
        example="https://shop.example.com/c/spring",
    )
    marketing = Template(
        name="pywa_marketing",
        language=LANG,
        category=TemplateCategory.MARKETING,
        components=[
            header,
            body,
            FooterText(text="Reply STOP to opt out"),
            Buttons(buttons=[quick, url]),
        ],
    )
    marketing_params = [
        header.params("Ana"),
        body.params("Ana", "EARLY25"),
        quick.params(callback_data="not_interested", index=0),
        url.params(url_variable="spring", index=1),
    ]

    # UTILITY with NAMED parameters.
    named_header = HeaderText("Order {{order_id}}", order_id="860198")
    named_body = BodyText(
        "Hi {{customer_name}}, your order {{order_id}} has shipped and arrives on {{day}}. Thanks!",
        customer_name="Pablo",
        order_id="860198",
        day="Friday",
    )
    utility = Template(
        name="pywa_named_utility",
        language=LANG,
        category=TemplateCategory.UTILITY,
        parameter_format=ParamFormat.NAMED,
        components=[named_header, named_body, FooterText(text="Lucky Shrub")],
    )
    utility_params = [
        named_header.params(order_id="42"),
        named_body.params(customer_name="Ana", order_id="42", day="Monday"),
    ]

    # AUTHENTICATION with an OTP copy-code button.
    otp = CopyCodeOTPButton(text="Copy code")
    auth = Template(
        name="pywa_auth",
        language=LANG,
        category=TemplateCategory.AUTHENTICATION,
        components=[
            AuthenticationBody(add_security_recommendation=True),
            AuthenticationFooter(code_expiration_minutes=10),
            Buttons(buttons=[otp]),
        ],
    )
    auth_params = [AuthenticationBody.params(otp="123456"), otp.params(otp="123456")]
    # pywa 4.5.0's own check (``Template.validate_params``) cannot match an OTP button's
    # params (they carry no ``index``), so this one is sent by name and language.

    # A COPY_CODE (coupon) button.
    coupon_body = BodyText("Use code {{1}} on your next visit to our store.", "SPRING25")
    coupon_button = CopyCodeButton(example="SPRING25")
    coupon = Template(
        name="pywa_coupon",
        language=LANG,
        category=TemplateCategory.MARKETING,
        components=[coupon_body, Buttons(buttons=[coupon_button])],
    )
    coupon_params = [
        coupon_body.params("SPRING25"),
        coupon_button.params(coupon_code="SPRING25", index=0),
    ]

    # An IMAGE header: the example is a file handle, the send uses a link.
    image = Template(
        name="pywa_image",
        language=LANG,
        category=TemplateCategory.MARKETING,
        components=[
            HeaderImage(example=IMAGE_HANDLE),
            BodyText("Our new catalog is here, take a look at this season's picks."),
        ],
    )
    image_params = [HeaderImage.params(image="https://shop.example.com/catalog.jpg")]

    # (template, params, let pywa check the params against the template object)
    return [
        (marketing, marketing_params, True),
        (utility, utility_params, True),
        (auth, auth_params, False),
        (coupon, coupon_params, True),
        (image, image_params, True),
    ]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", default=os.environ.get("WAGATE_BASE_URL"))
    p.add_argument("--token", default=os.environ.get("WAGATE_API_KEY"))
    p.add_argument("--waba-id", default=os.environ.get("WAGATE_WABA_ID"))
    p.add_argument("--phone-id", default=os.environ.get("WAGATE_PHONE_NUMBER_ID"))
    p.add_argument("--to", default="+15551230001")
    p.add_argument("--wait", type=float, default=15.0, help="seconds to wait for APPROVED")
    args = p.parse_args()
    missing = [k for k in ("base_url", "token", "waba_id", "phone_id") if not getattr(args, k)]
    if missing:
        p.error(f"missing {', '.join(missing)}")

    wa = WhatsApp(
        phone_id=args.phone_id,
        token=args.token,
        waba_id=args.waba_id,
        api_version="23.0",
        session=httpx.Client(transport=ToWagate(args.base_url), timeout=30),
    )

    built = templates()

    # 1. Create.
    ids: dict[str, str] = {}
    for template, _, _ in built:
        try:
            created = wa.create_template(template=template)
            ids[template.name] = created.id
            emit(
                "create",
                True,
                {"id": created.id, "status": str(created.status), "category": str(created.category)},
                template.name,
            )
        except Exception as e:  # noqa: BLE001 - report every failure
            emit("create", False, error_detail(e), template.name)

    # 2. List.
    try:
        listed = wa.get_templates()
        names = {t.name for t in listed.all()}
        want = [t.name for t, _, _ in built]
        absent = [n for n in want if n not in names]
        emit(
            "list",
            not absent,
            {"listed": sorted(names), "missing": absent, "total_count": listed.total_count},
        )
    except Exception as e:  # noqa: BLE001
        emit("list", False, error_detail(e))

    # 3. Wait for APPROVED, reading each template by id.
    deadline = time.monotonic() + args.wait
    for template, _, _ in built:
        tid = ids.get(template.name)
        if tid is None:
            continue
        try:
            while True:
                details = wa.get_template(tid)
                if details.status != TemplateStatus.PENDING or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            emit(
                "approved",
                details.status == TemplateStatus.APPROVED,
                {"id": tid, "status": str(details.status), "components": len(details.components)},
                template.name,
            )
        except Exception as e:  # noqa: BLE001
            emit("approved", False, error_detail(e), template.name)

    # 4. Send each, with pywa checking the params against the template object.
    for template, params, check in built:
        try:
            if check:
                sent = wa.send_template(to=args.to, template=template, params=params)
            else:
                sent = wa.send_template(
                    to=args.to, name=template.name, language=template.language, params=params
                )
            emit("send", True, {"id": sent.id}, template.name)
        except Exception as e:  # noqa: BLE001
            emit("send", False, error_detail(e), template.name)

    # 5. A wrong send: the marketing template without its body parameters (by name and
    # language, so pywa does not check the params itself). It must be refused.
    marketing, marketing_params, _ = built[0]
    try:
        sent = wa.send_template(
            to=args.to,
            name=marketing.name,
            language=LANG,
            params=[x for x in marketing_params if not isinstance(x, BodyText._Params)],
        )
        emit("send_invalid", True, {"id": sent.id}, marketing.name)
    except Exception as e:  # noqa: BLE001
        emit("send_invalid", False, error_detail(e), marketing.name)


if __name__ == "__main__":
    main()
