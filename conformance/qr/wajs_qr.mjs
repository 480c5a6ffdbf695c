// QR codes through the unmodified whatsapp-api-js library's own QR calls (conformance harness).
//
//   node wajs_qr.mjs --base-url URL --token KEY --phone-id P [--node-modules DIR]
//
// (or WAGATE_BASE_URL, WAGATE_API_KEY, WAGATE_PHONE_NUMBER_ID). DIR defaults to
// $WAGATE_SDK_NODE_MODULES, else /tmp/wagate-sdk/node/node_modules (as made by
// conformance/webhooks/setup.sh).
//
// On a phone number with no QR codes yet, it creates three codes with WhatsAppAPI.createQR
// (the default "png", and "svg"), lists them with retrieveQR(phoneID) (which asks for
// `message_qrdls/` with a trailing slash), reads one with retrieveQR(phoneID, id), updates
// one with updateQR, deletes one with deleteQR, checks the deleted code is unknown (Graph
// 100/33), and sends a 141-character message and the image type "gif", which must be
// refused with Graph code 100. Two codes are left: keep_png and keep_svg report their image
// URLs and deep links, for the caller to fetch and decode.
//
// whatsapp-api-js sends createQR's and updateQR's parameters in the query string, the
// message not percent-encoded (fetch encodes spaces and non-ASCII; a `&`, `#` or `+` in a
// message would be cut or changed, on Meta as here, so the messages here have none).
//
// whatsapp-api-js 6.3.0 has no base-URL option: every call is written out as
// `https://graph.facebook.com/${v}/…`. Its documented `ponyfill.fetch` constructor option
// takes any fetch function, so the script passes one that sends those URLs to wagate.
//
// Every operation prints one JSON line: {"op", "ok", "detail"}; `ok` means "behaved as a
// client would expect" (for the refusals: the expected Graph error came back). The script
// exits 0 whatever happened; the caller judges.

import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    "base-url": { type: "string", default: process.env.WAGATE_BASE_URL },
    token: { type: "string", default: process.env.WAGATE_API_KEY },
    "phone-id": { type: "string", default: process.env.WAGATE_PHONE_NUMBER_ID },
    "node-modules": { type: "string" },
  },
});
for (const k of ["base-url", "token", "phone-id"]) {
  if (!args[k]) {
    console.error(`wajs_qr: missing --${k}`);
    process.exit(2);
  }
}

const nodeModules =
  args["node-modules"] ??
  process.env.WAGATE_SDK_NODE_MODULES ??
  "/tmp/wagate-sdk/node/node_modules";
const entry = path.join(path.resolve(nodeModules), "whatsapp-api-js", "lib", "index.js");
const { WhatsAppAPI } = await import(pathToFileURL(entry).href);

function emit(op, ok, detail) {
  process.stdout.write(JSON.stringify({ op, ok, detail }) + "\n");
}

const base = args["base-url"].replace(/\/+$/, "");
const toWagate = (url, init) =>
  fetch(String(url).replace(/^https:\/\/graph\.facebook\.com/, base), init);

const Whatsapp = new WhatsAppAPI({
  token: args.token,
  secure: false,
  v: "v23.0",
  ponyfill: { fetch: toWagate },
});
const phone = args["phone-id"];

// The code object a client expects: a 14-character code, its wa.me deep link, the message,
// and an image URL of the asked type (`ext`), or none (`ext` null).
function wellFormed(qr, message, ext) {
  const urlOk =
    ext === null
      ? qr?.qr_image_url === undefined
      : typeof qr?.qr_image_url === "string" &&
        qr.qr_image_url.endsWith(`/qr/${qr.code}.${ext}`);
  return (
    typeof qr?.code === "string" &&
    /^[A-Z0-9]{14}$/.test(qr.code) &&
    qr.deep_link_url === `https://wa.me/message/${qr.code}` &&
    qr.prefilled_message === message &&
    urlOk
  );
}

// Runs one operation: `fn` resolves to [ok, detail]; a throw is a failure.
async function step(op, fn) {
  try {
    const [ok, detail] = await fn();
    emit(op, ok, detail);
  } catch (e) {
    emit(op, false, { error: String(e), stack: e?.stack });
  }
}

// `fn` must resolve to a Graph error with `code` (and `subcode`).
async function refused(op, fn, code, subcode) {
  await step(op, async () => {
    const res = await fn();
    const e = res?.error;
    const ok = e?.code === code && (subcode === undefined || e?.error_subcode === subcode);
    return [ok, res];
  });
}

// 1. Create.
const made = {};
const plan = [
  ["keep_png", "Hola desde whatsapp-api-js ñ", undefined, "png"],
  ["keep_svg", "Second code", "svg", "svg"],
  ["drop", "Drop me", "png", "png"],
];
for (const [name, message, format, ext] of plan) {
  await step(`createQR_${name}`, async () => {
    const qr =
      format === undefined
        ? await Whatsapp.createQR(phone, message)
        : await Whatsapp.createQR(phone, message, format);
    if (qr?.code) made[name] = qr;
    return [wellFormed(qr, message, ext), qr];
  });
}

if (Object.keys(made).length === plan.length) {
  const codes = new Set(Object.values(made).map((qr) => qr.code));

  // 2. Read: every code (no image URLs), then one.
  await step("retrieveQR_all", async () => {
    const res = await Whatsapp.retrieveQR(phone);
    const listed = (res?.data ?? []).map((qr) => qr.code);
    const ok =
      listed.length === codes.size &&
      listed.every((c) => codes.has(c)) &&
      res.data.every((qr) => wellFormed(qr, made[nameOf(qr.code)].prefilled_message, null));
    return [ok, res];
  });
  await step("retrieveQR_one", async () => {
    const res = await Whatsapp.retrieveQR(phone, made.keep_png.code);
    const ok = res?.data?.length === 1 && wellFormed(res.data[0], made.keep_png.prefilled_message, null);
    return [ok, res];
  });

  // 3. Update; a read shows the new message.
  await step("updateQR", async () => {
    const res = await Whatsapp.updateQR(phone, made.keep_svg.code, "Updated by whatsapp-api-js");
    const again = await Whatsapp.retrieveQR(phone, made.keep_svg.code);
    const ok =
      wellFormed(res, "Updated by whatsapp-api-js", null) &&
      again?.data?.[0]?.prefilled_message === "Updated by whatsapp-api-js";
    return [ok, res];
  });

  // 4. Delete; the deleted code is unknown.
  await step("deleteQR", async () => {
    const res = await Whatsapp.deleteQR(phone, made.drop.code);
    return [res?.success === true, res];
  });
  await refused("retrieveQR_deleted", () => Whatsapp.retrieveQR(phone, made.drop.code), 100, 33);
  await refused("deleteQR_deleted", () => Whatsapp.deleteQR(phone, made.drop.code), 100, 33);

  // 5. Bad input.
  await refused("createQR_too_long", () => Whatsapp.createQR(phone, "x".repeat(141)), 100);
  await refused("createQR_bad_format", () => Whatsapp.createQR(phone, "Hi", "gif"), 100);
  await refused(
    "updateQR_unknown",
    () => Whatsapp.updateQR(phone, "ZZZZZZZZZZZZZZ", "Hi"),
    100,
    33,
  );

  // 6. The codes left, for the caller to fetch and decode their images.
  emit("keep_png", true, made.keep_png);
  emit("keep_svg", true, made.keep_svg);
}

function nameOf(code) {
  return Object.keys(made).find((k) => made[k].code === code);
}
