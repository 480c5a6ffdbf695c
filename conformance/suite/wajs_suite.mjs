// Every whatsapp-api-js operation of the suite's areas, against a running wagate
// (conformance suite).
//
//   node wajs_suite.mjs --base-url URL --token KEY --phone-id P --waba-id W \
//        --files-url http://127.0.0.1:N --files-dir DIR --user 1555… [--node-modules DIR]
//
// Drives the unmodified whatsapp-api-js 6.3.0 `WhatsAppAPI` through every method it offers
// for messages (sendMessage with every ClientMessage class, broadcastMessage), mark-as-read
// and typing (markAsRead), media (uploadMedia, retrieveMedia, fetchMedia, deleteMedia), QR
// codes (createQR, retrieveQR, updateQR, deleteQR) and block users (blockUser,
// unblockUser); templates are sent with its Template classes (the library has no template
// management: the templates are created with plain HTTP first). Then a virtual user sends
// one message of every kind (wagate's sandbox API) for the webhook receiver.
//
// The library has no base-URL option: its documented `ponyfill.fetch` gets a fetch that
// sends https://graph.facebook.com requests to wagate. Output: see common.mjs.

import { Suite, Wagate, files, importModule, inboundOfEveryType, readArgs } from "./common.mjs";

const args = readArgs("wajs");
const suite = new Suite("wajs");
const wagate = new Wagate(args, suite);
const { WhatsAppAPI } = await importModule(args["node-modules"], "whatsapp-api-js/lib/index.js");
const M = await importModule(args["node-modules"], "whatsapp-api-js/lib/messages/index.js");

const api = new WhatsAppAPI({
  token: args.token,
  secure: false, // sending only; the receiver checks signatures
  v: "v23.0",
  ponyfill: { fetch: suite.fetch(args["base-url"]) },
});
const P = args["phone-id"];
// Flow messages and FLOW buttons name a published flow of the WABA, as on Meta.
const FLOW = await wagate.flow(args["waba-id"], "wajs suite flow");
const user = args.user;
const blockUser = String(BigInt(user) + 1n);
const offUser = "15550009999"; // in the channel's not_on_whatsapp
const link = (n) => `${args["files-url"]}/${n}`;
const F = files(args["files-dir"]);
const op = suite.op.bind(suite);
const sent = { sent: true };

// The user writes first: the window opens, and there are messages to reply to and mark read.
const inbound = [];
for (let i = 0; i < 3; i++) {
  inbound.push(await wagate.inject({ from: user, type: "text", text: { body: `Hi ${i}! ¿Qué tal? 😀` } }, "message"));
}
const first = inbound[0]?.wamid ?? "wamid.missing";

// ---- media ---------------------------------------------------------------------------
const ids = {};
const isId = (r) => (/^\d+$/.test(String(r?.id)) ? null : `media id ${JSON.stringify(r)}`);
const form = (bytes, type, name) => {
  const fd = new FormData();
  fd.append("file", new Blob([bytes], { type }), name);
  return fd;
};
for (const [kind, name, bytes, type, file] of [
  ["image", "uploadMedia:image", F.png, "image/png", "pixel.png"],
  ["video", "uploadMedia:video", F.mp4, "video/mp4", "clip.mp4"],
  ["audio", "uploadMedia:audio", F.mp3, "audio/mpeg", "song.mp3"],
  ["voice", "uploadMedia:voice", F.ogg, "audio/ogg", "voice.ogg"],
  ["document", "uploadMedia:document", F.pdf, "application/pdf", "invoice.pdf"],
  ["sticker", "uploadMedia:sticker", F.webp, "image/webp", "sticker.webp"],
]) {
  const r = await op("media", name, () => api.uploadMedia(P, form(bytes, type, file)), isId);
  if (r) ids[kind] = r.id;
}
const hex = async (b) => Buffer.from(await crypto.subtle.digest("SHA-256", b)).toString("hex");
const pngSha = await hex(F.png);
let info;
if (ids.image) {
  const fields = (r) => {
    const wrong = [
      ["id", ids.image],
      ["mime_type", "image/png"],
      ["sha256", pngSha],
      ["file_size", F.png.length],
      ["messaging_product", "whatsapp"],
    ].filter(([k, v]) => String(r?.[k]) !== String(v));
    return wrong.length ? `fields differ: ${JSON.stringify(wrong.map(([k]) => k))} in ${JSON.stringify(r)}` : null;
  };
  info = await op("media", "retrieveMedia", () => api.retrieveMedia(ids.image), fields);
  await op("media", "retrieveMedia:phone_id", () => api.retrieveMedia(ids.image, P), fields);
} else {
  suite.blocked("media", "retrieveMedia", "no uploaded image");
}
if (info) {
  await op("media", "fetchMedia", async () => {
    const res = await api.fetchMedia(info.url);
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
  }, (r) => (r.status === 200 && r.bytes.equals(F.png) ? null : `status ${r.status}, ${r.bytes.length} bytes differ`));
}
for (const [name, withPhone] of [["deleteMedia", false], ["deleteMedia:phone_id", true]]) {
  const victim = await api.uploadMedia(P, form(F.png, "image/png", "gone.png")).catch(() => undefined);
  if (!victim?.id) {
    suite.blocked("media", name, "the upload to delete failed");
    continue;
  }
  await op("media", name, () => (withPhone ? api.deleteMedia(victim.id, P) : api.deleteMedia(victim.id)),
    (r) => (r?.success === true ? null : JSON.stringify(r)));
}

// ---- messages ------------------------------------------------------------------------
const send = (name, msg, context, tracker, to = user) =>
  op("messages", name, () => api.sendMessage(P, to, msg, context, tracker), undefined, sent);
const need = (kind, name, make) =>
  ids[kind] ? send(name, make(ids[kind])) : suite.blocked("messages", name, `no uploaded ${kind}`);

await send("Text", new M.Text("Hello from whatsapp-api-js"));
await send("Text:preview_url", new M.Text("See https://example.com/page", true));
await send("Text:reply", new M.Text("Replying to you"), first);
await send("Text:biz_opaque_callback_data", new M.Text("Tracked"), undefined, "order-42");
const bsuid = inbound[0]?.bsuid;
if (bsuid) {
  await op("messages", "Text:recipient_bsuid", () => api.sendMessage(P, { bsuid }, new M.Text("By BSUID")), undefined, sent);
} else {
  suite.blocked("messages", "Text:recipient_bsuid", "no BSUID for the user");
}
await need("image", "Image:id", (id) => new M.Image(id, true, "by id"));
await send("Image:link", new M.Image(link("pixel.png"), false, "by link"));
await need("video", "Video:id", (id) => new M.Video(id, true, "clip"));
await send("Video:link", new M.Video(link("clip.mp4")));
await need("audio", "Audio:id", (id) => new M.Audio(id, true));
await send("Audio:link", new M.Audio(link("song.mp3")));
await need("voice", "Audio:voice", (id) => new M.Audio(id, true, true));
await need("document", "Document:id", (id) => new M.Document(id, true, "your invoice", "invoice.pdf"));
await send("Document:link", new M.Document(link("invoice.pdf"), false, undefined, "invoice.pdf"));
await need("sticker", "Sticker:id", (id) => new M.Sticker(id, true));
await send("Sticker:link", new M.Sticker(link("sticker.webp")));
await send("Location", new M.Location(-9.1393, 38.7223, "Lisbon", "Praça do Comércio"));
await send("Contacts", new M.Contacts([
  new M.Name("Ana Silva", "Ana", "Silva"),
  new M.Phone("+351912345678", "CELL"),
  new M.Email("ana@example.com", "WORK"),
  new M.Url("https://example.com", "WORK"),
  new M.Address("Portugal", "PT", undefined, "Lisboa", "Rua A 1", "1100-001", "HOME"),
  new M.Organization("Acme", "Sales", "Buyer"),
  new M.Birthday("1990", "01", "31"),
]));
await send("Reaction", new M.Reaction(first, "👍"));
await send("Reaction:remove", new M.Reaction(first));
await send("Interactive:ActionButtons", new M.Interactive(
  new M.ActionButtons(new M.Button("yes", "Yes"), new M.Button("no", "No")),
  new M.Body("Pick one"), new M.Header("Choice"), new M.Footer("wajs")));
if (ids.image) {
  await send("Interactive:ActionButtons:image_header", new M.Interactive(
    new M.ActionButtons(new M.Button("love", "Love it")),
    new M.Body("Like it?"), new M.Header(new M.Image(ids.image, true))));
} else suite.blocked("messages", "Interactive:ActionButtons:image_header", "no uploaded image");
await send("Interactive:ActionList", new M.Interactive(
  new M.ActionList("Open", new M.ListSection("Drinks", new M.Row("tea", "Tea", "Hot"), new M.Row("juice", "Juice"))),
  new M.Body("Our menu"), new M.Header("Menu"), new M.Footer("wajs")));
await send("Interactive:ActionCTA", new M.Interactive(
  new M.ActionCTA("Open site", "https://example.com"), new M.Body("Visit us"), new M.Header("Acme")));
await send("Interactive:ActionNavigateFlow", new M.Interactive(
  new M.ActionNavigateFlow("tok-1", FLOW, "Start", "WELCOME", { step: 1 }), new M.Body("Sign up")));
await send("Interactive:ActionDataExchangeFlow", new M.Interactive(
  new M.ActionDataExchangeFlow("tok-2", FLOW, "Book"), new M.Body("Book a table")));
await send("Interactive:ActionLocation", new M.Interactive(new M.ActionLocation(), new M.Body("Where should we deliver?")));
await send("Interactive:ActionCatalog", new M.Interactive(
  new M.ActionCatalog(new M.Product("sku-1")), new M.Body("Browse our catalog"), undefined, new M.Footer("wajs")));
await send("Interactive:ActionProduct", new M.Interactive(
  new M.ActionProduct(new M.CatalogProduct("sku-1", "123456789")), new M.Body("Our best seller")));
await send("Interactive:ActionProductList", new M.Interactive(
  new M.ActionProductList("123456789", new M.ProductSection("Top", new M.Product("sku-1"), new M.Product("sku-2"))),
  new M.Body("Two picks for you"), new M.Header("Picks")));
await send("Interactive:ActionCallPermission", new M.Interactive(new M.ActionCallPermission(), new M.Body("May we call you?")));
await send("Interactive:ActionContactRequest", new M.Interactive(new M.ActionContactRequest(), new M.Body("Share your number?")));
await op("messages", "broadcastMessage", async () => {
  const all = await Promise.all(api.broadcastMessage(P, [user, user], new M.Text("To everyone"), 50, 0));
  return all;
}, (all) => {
  const bad = all.filter((r) => !String(r?.messages?.[0]?.id).startsWith("wamid."));
  return bad.length ? `answers without a wamid: ${JSON.stringify(bad)}` : null;
});

// ---- mark as read --------------------------------------------------------------------
const success = (r) => (r?.success === true ? null : JSON.stringify(r));
await op("read", "markAsRead", () => api.markAsRead(P, inbound[1]?.wamid ?? first), success);
await op("read", "markAsRead:typing_indicator", () => api.markAsRead(P, inbound[2]?.wamid ?? first, "text"), success);

// ---- templates (sent with the library's Template classes) -----------------------------
const W = args["waba-id"];
const defs = {
  wajs_suite_marketing: {
    name: "wajs_suite_marketing", language: "en_US", category: "MARKETING",
    components: [
      { type: "HEADER", format: "TEXT", text: "Big news for {{1}}", example: { header_text: ["Ana"] } },
      { type: "BODY", text: "Hi {{1}}, your total is {{2}}, due on {{3}}. Thanks for shopping with us.",
        example: { body_text: [["Ana", "$10.00", "Friday"]] } },
      { type: "FOOTER", text: "Reply STOP to opt out" },
      { type: "BUTTONS", buttons: [
        { type: "QUICK_REPLY", text: "Not interested" },
        { type: "URL", text: "Shop now", url: "https://shop.example.com/c/{{1}}",
          example: ["https://shop.example.com/c/spring"] },
      ] },
    ],
  },
  wajs_suite_named: {
    name: "wajs_suite_named", language: "en_US", category: "UTILITY", parameter_format: "NAMED",
    components: [{ type: "BODY", text: "Hi {{customer}}, your order {{order_id}} has shipped today.",
      example: { body_text_named_params: [{ param_name: "customer", example: "Ana" },
        { param_name: "order_id", example: "860198" }] } }],
  },
  wajs_suite_coupon: {
    name: "wajs_suite_coupon", language: "en_US", category: "MARKETING",
    components: [
      { type: "BODY", text: "Use code {{1}} on your next visit to our store.", example: { body_text: [["SPRING25"]] } },
      { type: "BUTTONS", buttons: [{ type: "COPY_CODE", example: "SPRING25" }] },
    ],
  },
  wajs_suite_image: {
    name: "wajs_suite_image", language: "en_US", category: "MARKETING",
    components: [
      { type: "HEADER", format: "IMAGE", example: { header_handle: ["4::aW1hZ2UvcG5n:ARZsampleHandle"] } },
      { type: "BODY", text: "Our new catalog is here, take a look at this season's picks." },
    ],
  },
  wajs_suite_auth: {
    name: "wajs_suite_auth", language: "en_US", category: "AUTHENTICATION",
    components: [
      { type: "BODY", add_security_recommendation: true },
      { type: "FOOTER", code_expiration_minutes: 10 },
      { type: "BUTTONS", buttons: [{ type: "OTP", otp_type: "COPY_CODE", text: "Copy code" }] },
    ],
  },
  wajs_suite_flow: {
    name: "wajs_suite_flow", language: "en_US", category: "MARKETING",
    components: [
      { type: "BODY", text: "Book your table with us today." },
      { type: "BUTTONS", buttons: [
        { type: "QUICK_REPLY", text: "Later" },
        { type: "FLOW", text: "Book now", flow_id: FLOW, navigate_screen: "WELCOME", flow_action: "navigate" },
      ] },
    ],
  },
  wajs_suite_catalog: {
    name: "wajs_suite_catalog", language: "en_US", category: "MARKETING",
    components: [
      { type: "BODY", text: "Now shop for your favourite products right here on WhatsApp." },
      { type: "BUTTONS", buttons: [{ type: "CATALOG", text: "View catalog" }] },
    ],
  },
  wajs_suite_mpm: {
    name: "wajs_suite_mpm", language: "en_US", category: "MARKETING",
    components: [
      { type: "HEADER", format: "TEXT", text: "Our picks" },
      { type: "BODY", text: "Take a look at the new arrivals in our shop." },
      { type: "BUTTONS", buttons: [{ type: "MPM", text: "View items" }] },
    ],
  },
  wajs_suite_carousel: {
    name: "wajs_suite_carousel", language: "en_US", category: "MARKETING",
    components: [
      { type: "BODY", text: "Here are this week's picks for you." },
      { type: "CAROUSEL", cards: [0, 1].map((i) => ({ components: [
        { type: "HEADER", format: "IMAGE", example: { header_handle: ["4::aW1hZ2UvcG5n:ARZsampleHandle"] } },
        { type: "BODY", text: `Pick number ${i + 1} of the week.` },
        { type: "BUTTONS", buttons: [{ type: "QUICK_REPLY", text: "Tell me more" }] },
      ] })) },
    ],
  },
  wajs_suite_lto: {
    name: "wajs_suite_lto", language: "en_US", category: "MARKETING",
    components: [
      { type: "limited_time_offer", limited_time_offer: { text: "Expiring offer!", has_expiration: true } },
      { type: "BODY", text: "Good news, {{1}}! Use code {{2}} to get 25% off.", example: { body_text: [["Pablo", "CARIBE25"]] } },
      { type: "BUTTONS", buttons: [
        { type: "COPY_CODE", example: "CARIBE25" },
        { type: "URL", text: "Book now", url: "https://example.com/{{1}}", example: ["https://example.com/x"] },
      ] },
    ],
  },
};
const ready = {};
// CATALOG and MPM buttons need a catalog connected to the WABA when the template is
// created (as on Meta); it is unlinked again afterwards, so the suite's catalog messages
// (made-up catalog ids) are not checked against it.
const catalog = await wagate.call("POST", "/api/v1/catalogs", { name: "wajs suite", waba_id: W });
if (catalog.status !== 201) throw new Error(`creating a catalog: ${catalog.status} ${catalog.text}`);
for (const [name, body] of Object.entries(defs)) {
  try {
    await wagate.template(W, body);
    ready[name] = true;
  } catch (e) {
    ready[name] = `setup (plain HTTP, not the library) failed: ${e.message}`;
  }
}
const unlinked = await wagate.call("DELETE", `/api/v1/catalogs/${catalog.json.id}/link`);
if (unlinked.status !== 200) throw new Error(`unlinking the catalog: ${unlinked.status} ${unlinked.text}`);
const sendTemplate = (opName, tname, make) =>
  ready[tname] === true
    ? op("templates", opName, () => api.sendMessage(P, user, make()), undefined, sent)
    : suite.blocked("templates", opName, ready[tname]);
await sendTemplate("Template:header_body_buttons", "wajs_suite_marketing", () => new M.Template(
  "wajs_suite_marketing", new M.Language("en_US"),
  new M.HeaderComponent(new M.HeaderParameter("Ana")),
  new M.BodyComponent(new M.BodyParameter("Ana"), new M.BodyParameter(new M.Currency(10000, "USD", "$10.00")),
    new M.BodyParameter(new M.DateTime("Friday"))),
  new M.PayloadComponent("not_interested"),
  new M.URLComponent("spring")));
await sendTemplate("Template:named_parameters", "wajs_suite_named", () => new M.Template(
  "wajs_suite_named", "en_US",
  new M.BodyComponent(new M.BodyParameter("Ana", "customer"), new M.BodyParameter("42", "order_id"))));
await sendTemplate("Template:CopyComponent", "wajs_suite_coupon", () => new M.Template(
  "wajs_suite_coupon", "en_US", new M.BodyComponent(new M.BodyParameter("SPRING25")), new M.CopyComponent("SPRING25")));
await sendTemplate("Template:image_header", "wajs_suite_image", () => new M.Template(
  "wajs_suite_image", "en_US", new M.HeaderComponent(new M.HeaderParameter(new M.Image(link("pixel.png"))))));
await sendTemplate("Template.OTP", "wajs_suite_auth", () => M.Template.OTP("wajs_suite_auth", "en_US", "123456"));
await sendTemplate("Template:SkipButtonComponent+FlowComponent", "wajs_suite_flow", () => new M.Template(
  "wajs_suite_flow", "en_US", new M.SkipButtonComponent(), new M.FlowComponent("tok-1", { step: 1 })));
await sendTemplate("Template:CatalogComponent", "wajs_suite_catalog", () => new M.Template(
  "wajs_suite_catalog", "en_US", new M.CatalogComponent(new M.Product("sku-1"))));
await sendTemplate("Template:MPMComponent", "wajs_suite_mpm", () => new M.Template(
  "wajs_suite_mpm", "en_US",
  new M.MPMComponent(new M.Product("sku-1"), new M.ProductSection("Top", new M.Product("sku-1"), new M.Product("sku-2")))));
await sendTemplate("Template:CarouselComponent", "wajs_suite_carousel", () => new M.Template(
  "wajs_suite_carousel", "en_US",
  new M.CarouselComponent(
    new M.CarouselCard(new M.Image(link("pixel.png")), new M.PayloadComponent("more-1")),
    new M.CarouselCard(new M.Image(link("photo.jpg")), new M.PayloadComponent("more-2")))));
await sendTemplate("Template:LTOComponent", "wajs_suite_lto", () => new M.Template(
  "wajs_suite_lto", "en_US", new M.LTOComponent(Date.now() + 86_400_000),
  new M.BodyComponent(new M.BodyParameter("Pablo"), new M.BodyParameter("CARIBE25")),
  new M.CopyComponent("CARIBE25"), new M.URLComponent("x")));

// ---- block users ---------------------------------------------------------------------
// Only users who wrote in the last 24 hours can be blocked.
await wagate.inject({ from: blockUser, type: "text", text: { body: "spam" } }, "message");
await op("block", "blockUser", () => api.blockUser(P, blockUser), (r) => {
  const added = r?.block_users?.added_users ?? [];
  return added.some((u) => u.wa_id === blockUser) ? null : JSON.stringify(r);
});
await op("block", "unblockUser", () => api.unblockUser(P, blockUser), (r) => {
  const removed = r?.block_users?.removed_users ?? [];
  return removed.some((u) => u.wa_id === blockUser) ? null : JSON.stringify(r);
});

// ---- QR codes ------------------------------------------------------------------------
const qrOk = (r) => (r?.code && r?.deep_link_url && r?.qr_image_url ? null : JSON.stringify(r));
const qr = await op("qr", "createQR", () => api.createQR(P, "Hi, I saw your ad"), qrOk);
await op("qr", "createQR:svg", () => api.createQR(P, "Menu please", "svg"), qrOk);
const code = qr?.code ?? "MISSING";
await op("qr", "retrieveQR:all", () => api.retrieveQR(P),
  (r) => (r?.data?.some((q) => q.code === code) ? null : JSON.stringify(r)));
await op("qr", "retrieveQR", () => api.retrieveQR(P, code),
  (r) => (r?.data?.[0]?.code === code ? null : JSON.stringify(r)));
await op("qr", "updateQR", () => api.updateQR(P, code, "Hi again"),
  (r) => (r?.code === code && r?.prefilled_message === "Hi again" ? null : JSON.stringify(r)));
await op("qr", "deleteQR", () => api.deleteQR(P, code), success);

// ---- inbound of every kind, and a failed status, for the receiver ---------------------
const thanks = await api.sendMessage(P, user, new M.Text("Thanks, on its way")).catch(() => undefined);
const ctx = thanks?.messages?.[0]?.id ?? first;
for (const m of inboundOfEveryType(user, ctx)) await wagate.inject(m, "message");
await op("webhooks", "Text:not_on_whatsapp", () => api.sendMessage(P, offUser, new M.Text("Are you there?")),
  undefined, { failedSend: true });
