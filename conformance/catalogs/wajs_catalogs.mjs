// Product messages through the unmodified whatsapp-api-js library's own Interactive
// builders (conformance harness).
//
//   node wajs_catalogs.mjs --base-url URL --token KEY --phone-id P --catalog-id C --to USER
//       [--node-modules DIR]
//
// The caller has linked catalog C to the phone number's WABA with the published products
// sku-1 and sku-2, and USER has written to the number. The script sends an ActionProduct
// (CatalogProduct), an ActionProductList of two ProductSections, and an ActionCatalog with
// and without a thumbnail Product, then checks the refusals come back as Graph code 131009:
// an unknown product, a repeated product, a catalog that is not linked.
//
// As in conformance/qr/wajs_qr.mjs, the `ponyfill.fetch` option sends graph.facebook.com
// URLs to wagate. Every operation prints one JSON line {"op", "ok", "detail"}; the script
// exits 0 whatever happened; the caller judges.

import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    "base-url": { type: "string", default: process.env.WAGATE_BASE_URL },
    token: { type: "string", default: process.env.WAGATE_API_KEY },
    "phone-id": { type: "string", default: process.env.WAGATE_PHONE_NUMBER_ID },
    "catalog-id": { type: "string" },
    to: { type: "string" },
    "node-modules": { type: "string" },
  },
});
for (const k of ["base-url", "token", "phone-id", "catalog-id", "to"]) {
  if (!args[k]) {
    console.error(`wajs_catalogs: missing --${k}`);
    process.exit(2);
  }
}

const nodeModules =
  args["node-modules"] ??
  process.env.WAGATE_SDK_NODE_MODULES ??
  "/tmp/wagate-sdk/node/node_modules";
const lib = path.join(path.resolve(nodeModules), "whatsapp-api-js", "lib");
const { WhatsAppAPI } = await import(pathToFileURL(path.join(lib, "index.js")).href);
const m = await import(pathToFileURL(path.join(lib, "messages", "index.js")).href);

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
const to = args.to;
const catalog = args["catalog-id"];

async function step(op, fn) {
  try {
    const [ok, detail] = await fn();
    emit(op, ok, detail);
  } catch (e) {
    emit(op, false, { error: String(e), stack: e?.stack });
  }
}

const sent = (op, message) =>
  step(op, async () => {
    const res = await Whatsapp.sendMessage(phone, to, message);
    return [typeof res?.messages?.[0]?.id === "string", res];
  });
const refused = (op, message, code) =>
  step(op, async () => {
    const res = await Whatsapp.sendMessage(phone, to, message);
    return [res?.error?.code === code, res];
  });

const product = (sku, catalogId = catalog) =>
  new m.Interactive(new m.ActionProduct(new m.CatalogProduct(sku, catalogId)), new m.Body("Look"));
const list = (a, b) =>
  new m.Interactive(
    new m.ActionProductList(
      catalog,
      new m.ProductSection("New", new m.Product(a)),
      new m.ProductSection("Old", new m.Product(b)),
    ),
    new m.Body("Have a look"),
    new m.Header("Our picks"),
  );

await sent("ActionProduct", product("sku-1"));
await sent("ActionProductList", list("sku-1", "sku-2"));
await sent(
  "ActionCatalog_thumbnail",
  new m.Interactive(new m.ActionCatalog(new m.Product("sku-2")), new m.Body("Our catalog")),
);
await sent("ActionCatalog", new m.Interactive(new m.ActionCatalog(), new m.Body("Our catalog")));
await refused("ActionProduct_unknown", product("ghost"), 131009);
await refused("ActionProduct_unlinked_catalog", product("sku-1", "1234567"), 131009);
await refused("ActionProductList_repeated", list("sku-1", "sku-1"), 131009);
