// Group messages through the unmodified whatsapp-api-js library (conformance harness).
//
//   node wajs_groups.mjs --base-url URL --token KEY --phone-id P --group G [--node-modules DIR]
//
// (or WAGATE_BASE_URL, WAGATE_API_KEY, WAGATE_PHONE_NUMBER_ID). DIR defaults to
// $WAGATE_SDK_NODE_MODULES, else /tmp/wagate-sdk/node/node_modules (as made by
// conformance/webhooks/setup.sh).
//
// whatsapp-api-js 6.3.0 has no group management calls (no create, list, invite link or
// participants); it sends to a group with `sendMessage(phoneID, {group: id}, message)`
// (`recipient_type: "group"`). The caller makes the group and has a user join it; this
// script sends a text and an image to it, and a text to an unknown group, which must be
// refused with Meta's "Group unknown" (131041).
//
// Every operation prints one JSON line: {"op", "ok", "detail"}; the script exits 0
// whatever happened; the caller judges. See wajs_qr.mjs for the fetch that sends
// graph.facebook.com to wagate.

import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    "base-url": { type: "string", default: process.env.WAGATE_BASE_URL },
    token: { type: "string", default: process.env.WAGATE_API_KEY },
    "phone-id": { type: "string", default: process.env.WAGATE_PHONE_NUMBER_ID },
    group: { type: "string" },
    "node-modules": { type: "string" },
  },
});
for (const k of ["base-url", "token", "phone-id", "group"]) {
  if (!args[k]) {
    console.error(`wajs_groups: missing --${k}`);
    process.exit(2);
  }
}

const nodeModules =
  args["node-modules"] ??
  process.env.WAGATE_SDK_NODE_MODULES ??
  "/tmp/wagate-sdk/node/node_modules";
const lib = path.join(path.resolve(nodeModules), "whatsapp-api-js", "lib");
const { WhatsAppAPI } = await import(pathToFileURL(path.join(lib, "index.js")).href);
const { Text, Image } = await import(pathToFileURL(path.join(lib, "messages", "index.js")).href);

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
const group = args.group;

async function step(op, fn) {
  try {
    const [ok, detail] = await fn();
    emit(op, ok, detail);
  } catch (e) {
    emit(op, false, { error: String(e), stack: e?.stack });
  }
}

await step("send_text_to_group", async () => {
  const r = await Whatsapp.sendMessage(phone, { group }, new Text("Hello from whatsapp-api-js"));
  const id = r?.messages?.[0]?.id;
  return [typeof id === "string" && id.startsWith("wamid.") && r.contacts?.[0]?.input === group, r];
});

await step("send_image_to_group", async () => {
  const r = await Whatsapp.sendMessage(phone, { group }, new Image("https://example.com/a.jpg", false, "A picture"));
  const id = r?.messages?.[0]?.id;
  return [typeof id === "string" && id.startsWith("wamid."), r];
});

await step("send_to_unknown_group", async () => {
  const unknown = "Y2FwaV9ncm91cDoxNTU1MDAwMDAwMDoxMjM0NTY3ODkwMTIzNDU2Nzg";
  const r = await Whatsapp.sendMessage(phone, { group: unknown }, new Text("nobody"));
  return [r?.error?.code === 131041, r];
});
