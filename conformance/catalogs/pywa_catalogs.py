"""Catalogs and product messages through the unmodified pywa library's own calls
(conformance harness).

Run with the venv made by ``conformance/webhooks/setup.sh``:

    <cache>/venv/bin/python pywa_catalogs.py --base-url URL --token KEY --phone-id P \
        --catalog-id C --to USER

The caller has linked catalog ``C`` to the phone number's WABA and put the published
products ``sku-1`` and ``sku-2`` in it, and ``USER`` has written to the number. The script
reads and updates the commerce settings (``get_commerce_settings``,
``update_commerce_settings``), sends ``send_product``, ``send_products`` (two sections)
and ``send_catalog`` (with and without a thumbnail), and checks the refusals a client must
see as pywa's ``WhatsAppError`` with Graph code 131009: an unknown product, a product
repeated in a list, an unknown thumbnail, a catalog message while the catalog is hidden.
pywa 4.5.0 has no call that lists a WABA's product catalogs.

Every operation prints one JSON line: ``{"op", "ok", "detail"}``. The script exits 0
whatever happened; the caller judges. pywa has no base-URL option; as in
``conformance/qr/pywa_qr.py``, an ``httpx.Client`` whose transport sends requests for
graph.facebook.com to wagate is passed as ``session=``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import httpx
from pywa import WhatsApp
from pywa.errors import WhatsAppError
from pywa.types.others import ProductsSection


def emit(op: str, ok: bool, detail) -> None:
    sys.stdout.write(json.dumps({"op": op, "ok": ok, "detail": detail}, default=str) + "\n")
    sys.stdout.flush()


def error_detail(e: BaseException) -> dict:
    if isinstance(e, WhatsAppError):
        return {"error": type(e).__name__, "code": e.code, "message": e.message,
                "details": e.details}
    return {"error": type(e).__name__, "message": str(e)}


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


def step(op: str, fn) -> None:
    try:
        ok, detail = fn()
        emit(op, ok, detail)
    except Exception as e:  # noqa: BLE001 - report every failure
        emit(op, False, error_detail(e))


def refused(op: str, fn, code: int) -> None:
    try:
        result = fn()
        emit(op, False, {"not_refused": str(result)})
    except WhatsAppError as e:
        emit(op, e.code == code, error_detail(e))
    except Exception as e:  # noqa: BLE001
        emit(op, False, error_detail(e))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", default=os.environ.get("WAGATE_BASE_URL"))
    p.add_argument("--token", default=os.environ.get("WAGATE_API_KEY"))
    p.add_argument("--phone-id", default=os.environ.get("WAGATE_PHONE_NUMBER_ID"))
    p.add_argument("--catalog-id", required=True)
    p.add_argument("--to", required=True)
    args = p.parse_args()

    wa = WhatsApp(
        phone_id=args.phone_id,
        token=args.token,
        api_version="23.0",
        session=httpx.Client(transport=ToWagate(args.base_url), timeout=30),
    )
    to, catalog = args.to, args.catalog_id

    def settings():
        s = wa.get_commerce_settings()
        return s.is_catalog_visible is True and s.is_cart_enabled is True, str(s)

    step("get_commerce_settings", settings)
    step("send_product", lambda: (bool(wa.send_product(to, catalog, "sku-1", body="Look").id), "sent"))
    step(
        "send_products",
        lambda: (
            bool(
                wa.send_products(
                    to,
                    catalog,
                    [ProductsSection("New", ["sku-1"]), ProductsSection("Old", ["sku-2"])],
                    title="Our picks",
                    body="Have a look",
                ).id
            ),
            "sent",
        ),
    )
    step("send_catalog", lambda: (bool(wa.send_catalog(to, "Our catalog", thumbnail_product_sku="sku-2").id), "sent"))
    step("send_catalog_plain", lambda: (bool(wa.send_catalog(to, "Our catalog").id), "sent"))
    refused("send_product_unknown", lambda: wa.send_product(to, catalog, "ghost"), 131009)
    refused(
        "send_products_repeated",
        lambda: wa.send_products(
            to, catalog,
            [ProductsSection("A", ["sku-1"]), ProductsSection("B", ["sku-1"])],
            title="Twice", body="Twice",
        ),
        131009,
    )
    refused("send_catalog_unknown_thumbnail",
            lambda: wa.send_catalog(to, "Ours", thumbnail_product_sku="ghost"), 131009)

    def hide():
        ok = wa.update_commerce_settings(is_catalog_visible=False)
        s = wa.get_commerce_settings()
        return bool(ok) and s.is_catalog_visible is False, str(s)

    step("update_commerce_settings", hide)
    refused("send_catalog_hidden", lambda: wa.send_catalog(to, "Hidden"), 131009)
    step("restore_commerce_settings",
         lambda: (bool(wa.update_commerce_settings(is_catalog_visible=True)), "restored"))


if __name__ == "__main__":
    main()
