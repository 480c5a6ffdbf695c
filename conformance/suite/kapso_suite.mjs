// Every @kapso/whatsapp-cloud-api operation of the suite's areas, against a running wagate
// (conformance suite).
//
//   node kapso_suite.mjs --base-url URL --token KEY --phone-id P --waba-id W \
//        --files-url http://127.0.0.1:N --files-dir DIR --user 1555… [--node-modules DIR]
//
// Drives the unmodified @kapso/whatsapp-cloud-api 0.3.0 `WhatsAppClient` through every
// Cloud API method of its resources in the suite's areas: client.messages (every send*,
// sendInteractive*, sendRaw, markRead), client.media (upload, get, download, delete),
// client.templates (create, list, get, delete; sendTemplate with TemplateDefinition and
// buildTemplateSendPayload), client.phoneNumbers (requestCode, verifyCode, register,
// deregister, settings.get/update, businessProfile.get/update). The library has no QR-code
// or block-user calls, and no webhook receiver; its Kapso-proxy-only calls (message
// history, conversations, contacts, call logs) are not Cloud API.
//
// The client is pointed at wagate with its own `baseUrl` option. Output: see common.mjs.

import { Suite, Wagate, files, importModule, readArgs } from "./common.mjs";

const args = readArgs("kapso");
const suite = new Suite("kapso");
const wagate = new Wagate(args, suite);
const kapso = await importModule(args["node-modules"], "@kapso/whatsapp-cloud-api/dist/index.js");
const { WhatsAppClient, TemplateDefinition, buildTemplateSendPayload } = kapso;

const client = new WhatsAppClient({
  accessToken: args.token,
  baseUrl: args["base-url"],
  graphVersion: "v23.0",
  fetch: suite.fetch(),
});
const P = args["phone-id"];
const W = args["waba-id"];
// Flow messages name a published flow of the WABA, as on Meta.
const FLOW = await wagate.flow(W, "kapso suite flow");
const to = args.user;
const link = (n) => `${args["files-url"]}/${n}`;
const F = files(args["files-dir"]);
const op = suite.op.bind(suite);
const sent = { sent: true };
const success = (r) => (r?.success === true ? null : JSON.stringify(r));

const inbound = [];
for (let i = 0; i < 3; i++) {
  inbound.push(await wagate.inject({ from: to, type: "text", text: { body: `Hi ${i}! ¿Qué tal? 😀` } }));
}
const first = inbound[0]?.wamid ?? "wamid.missing";

// ---- media ---------------------------------------------------------------------------
const ids = {};
const isId = (r) => (/^\d+$/.test(String(r?.id)) ? null : `media id ${JSON.stringify(r)}`);
for (const [kind, name, input] of [
  ["image", "media.upload:uint8array", { type: "image/png", file: new Uint8Array(F.png), fileName: "pixel.png" }],
  ["document", "media.upload:blob", { type: "application/pdf", file: new Blob([F.pdf], { type: "application/pdf" }) }],
  ["video", "media.upload:buffer", { type: "video/mp4", file: F.mp4, fileName: "clip.mp4" }],
  ["audio", "media.upload:arraybuffer", {
    type: "audio/mpeg", file: F.mp3.buffer.slice(F.mp3.byteOffset, F.mp3.byteOffset + F.mp3.length), fileName: "song.mp3" }],
  ["voice", "media.upload:voice", { type: "audio/ogg", file: F.ogg, fileName: "voice.ogg" }],
  ["sticker", "media.upload:sticker", { type: "image/webp", file: F.webp, fileName: "sticker.webp" }],
]) {
  const r = await op("media", name, () => client.media.upload({ phoneNumberId: P, ...input }), isId);
  if (r) ids[kind] = r.id;
}
const hex = async (b) => Buffer.from(await crypto.subtle.digest("SHA-256", b)).toString("hex");
if (ids.image) {
  const pngSha = await hex(F.png);
  const fields = (r) => {
    const wrong = [
      ["id", ids.image],
      ["mimeType", "image/png"],
      ["sha256", pngSha],
      ["fileSize", F.png.length],
    ].filter(([k, v]) => String(r?.[k]) !== String(v));
    return wrong.length ? `fields differ: ${JSON.stringify(wrong.map(([k]) => k))} in ${JSON.stringify(r)}` : null;
  };
  await op("media", "media.get", () => client.media.get({ mediaId: ids.image }), fields);
  await op("media", "media.get:phone_number_id", () => client.media.get({ mediaId: ids.image, phoneNumberId: P }), fields);
  const same = (b) => (Buffer.from(b).equals(F.png) ? null : `${b.byteLength} bytes differ from the upload`);
  await op("media", "media.download", () => client.media.download({ mediaId: ids.image }), same);
  await op("media", "media.download:auth_always", () =>
    client.media.download({ mediaId: ids.image, phoneNumberId: P, auth: "always" }), same);
  await op("media", "media.download:blob", async () =>
    new Uint8Array(await (await client.media.download({ mediaId: ids.image, as: "blob" })).arrayBuffer()), same);
} else {
  for (const n of ["media.get", "media.download"]) suite.blocked("media", n, "no uploaded image");
}
for (const [name, withPhone] of [["media.delete", false], ["media.delete:phone_number_id", true]]) {
  const victim = await client.media
    .upload({ phoneNumberId: P, type: "image/png", file: F.png, fileName: "gone.png" })
    .catch(() => undefined);
  if (!victim?.id) {
    suite.blocked("media", name, "the upload to delete failed");
    continue;
  }
  await op("media", name, () => client.media.delete(withPhone ? { mediaId: victim.id, phoneNumberId: P } : { mediaId: victim.id }), success);
}

// ---- messages ------------------------------------------------------------------------
const m = client.messages;
const send = (name, fn) => op("messages", name, fn, undefined, sent);
const need = (kind, name, fn) => (ids[kind] ? send(name, () => fn(ids[kind])) : suite.blocked("messages", name, `no uploaded ${kind}`));
const base = { phoneNumberId: P, to };

await send("sendText", () => m.sendText({ ...base, body: "Hello from kapso" }));
await send("sendText:previewUrl", () => m.sendText({ ...base, body: "See https://example.com/page", previewUrl: true }));
await send("sendText:contextMessageId", () => m.sendText({ ...base, body: "Replying to you", contextMessageId: first }));
await send("sendText:bizOpaqueCallbackData", () => m.sendText({ ...base, body: "Tracked", bizOpaqueCallbackData: "order-42" }));
if (inbound[0]?.bsuid) {
  await send("sendText:recipient_bsuid", () => m.sendText({ phoneNumberId: P, recipient: inbound[0].bsuid, body: "By BSUID" }));
} else suite.blocked("messages", "sendText:recipient_bsuid", "no BSUID for the user");
await need("image", "sendImage:id", (id) => m.sendImage({ ...base, image: { id, caption: "by id" } }));
await send("sendImage:link", () => m.sendImage({ ...base, image: { link: link("pixel.png"), caption: "by link" } }));
await need("video", "sendVideo:id", (id) => m.sendVideo({ ...base, video: { id, caption: "clip" } }));
await send("sendVideo:link", () => m.sendVideo({ ...base, video: { link: link("clip.mp4") } }));
await need("audio", "sendAudio:id", (id) => m.sendAudio({ ...base, audio: { id } }));
await send("sendAudio:link", () => m.sendAudio({ ...base, audio: { link: link("song.mp3") } }));
await need("voice", "sendAudio:voice", (id) => m.sendAudio({ ...base, audio: { id, voice: true } }));
await need("document", "sendDocument:id", (id) => m.sendDocument({ ...base, document: { id, filename: "invoice.pdf", caption: "your invoice" } }));
await send("sendDocument:link", () => m.sendDocument({ ...base, document: { link: link("invoice.pdf"), filename: "invoice.pdf" } }));
await need("sticker", "sendSticker:id", (id) => m.sendSticker({ ...base, sticker: { id } }));
await send("sendSticker:link", () => m.sendSticker({ ...base, sticker: { link: link("sticker.webp") } }));
await send("sendLocation", () => m.sendLocation({ ...base, location: { latitude: 38.7223, longitude: -9.1393, name: "Lisbon", address: "Praça do Comércio" } }));
await send("sendContacts", () => m.sendContacts({ ...base, contacts: [{
  name: { formattedName: "Ana Silva", firstName: "Ana", lastName: "Silva" },
  birthday: "1990-01-31",
  phones: [{ phone: "+351912345678", type: "CELL" }],
  emails: [{ email: "ana@example.com", type: "WORK" }],
  urls: [{ url: "https://example.com", type: "WORK" }],
  addresses: [{ street: "Rua A 1", city: "Lisboa", country: "Portugal", countryCode: "PT", type: "HOME" }],
  org: { company: "Acme", department: "Sales", title: "Buyer" },
}] }));
await send("sendReaction", () => m.sendReaction({ ...base, reaction: { messageId: first, emoji: "👍" } }));
await send("sendReaction:remove", () => m.sendReaction({ ...base, reaction: { messageId: first, emoji: "" } }));
await send("sendInteractiveButtons", () => m.sendInteractiveButtons({ ...base, bodyText: "Pick one", footerText: "kapso",
  header: { type: "text", text: "Choice" }, buttons: [{ id: "yes", title: "Yes" }, { id: "no", title: "No" }] }));
await need("image", "sendInteractiveButtons:image_header", (id) => m.sendInteractiveButtons({ ...base, bodyText: "Like it?",
  header: { type: "image", image: { id } }, buttons: [{ id: "love", title: "Love it" }] }));
await send("sendInteractiveList", () => m.sendInteractiveList({ ...base, bodyText: "Our menu", buttonText: "Open",
  header: { type: "text", text: "Menu" }, footerText: "kapso",
  sections: [{ title: "Drinks", rows: [{ id: "tea", title: "Tea", description: "Hot" }, { id: "juice", title: "Juice" }] }] }));
await send("sendInteractiveCtaUrl", () => m.sendInteractiveCtaUrl({ ...base, bodyText: "Visit us",
  header: { type: "text", text: "Acme" }, parameters: { displayText: "Open site", url: "https://example.com" } }));
await send("sendInteractiveFlow", () => m.sendInteractiveFlow({ ...base, bodyText: "Sign up",
  parameters: { flowId: FLOW, flowCta: "Start", flowToken: "tok-1", flowAction: "navigate",
    flowActionPayload: { screen: "WELCOME", data: { step: 1 } } } }));
await send("sendInteractiveLocationRequest", () => m.sendInteractiveLocationRequest({ ...base, bodyText: "Where should we deliver?",
  parameters: { requestMessage: "Share your location" } }));
await send("sendInteractiveProduct", () => m.sendInteractiveProduct({ ...base, bodyText: "Our best seller",
  catalogId: "123456789", productRetailerId: "sku-1" }));
await send("sendInteractiveProductList", () => m.sendInteractiveProductList({ ...base, bodyText: "Two picks for you",
  header: { type: "text", text: "Picks" }, catalogId: "123456789",
  sections: [{ title: "Top", productItems: [{ productRetailerId: "sku-1" }, { productRetailerId: "sku-2" }] }] }));
await send("sendInteractiveCatalogMessage", () => m.sendInteractiveCatalogMessage({ ...base, bodyText: "Browse our catalog",
  parameters: { thumbnailProductRetailerId: "sku-1" } }));
await send("sendInteractiveAddress", () => m.sendInteractiveAddress({ ...base, bodyText: "Where should we ship?",
  parameters: { country: "IN", values: { name: "Ana", phoneNumber: "+919999999999" } } }));
await send("sendInteractiveCallPermission", () => m.sendInteractiveCallPermission({ ...base, bodyText: "May we call you?",
  parameters: { phoneNumber: "+15550100001", callPurpose: "support" } }));
await send("sendInteractiveCarousel", () => m.sendInteractiveCarousel({ ...base, bodyText: "Swipe",
  cards: [
    { cardIndex: 0, header: { type: "image", image: { link: link("pixel.png") } }, bodyText: "One",
      action: { displayText: "Buy one", url: "https://example.com/1" } },
    { cardIndex: 1, header: { type: "image", image: { link: link("photo.jpg") } }, bodyText: "Two",
      action: { displayText: "Buy two", url: "https://example.com/2" } },
  ] }));
await send("sendInteractiveRaw", () => m.sendInteractiveRaw({ ...base, interactive: {
  type: "button", body: { text: "Raw buttons" }, action: { buttons: [{ type: "reply", reply: { id: "r1", title: "One" } }] } } }));
await send("sendRaw", () => m.sendRaw({ phoneNumberId: P, payload: {
  messagingProduct: "whatsapp", recipientType: "individual", to, type: "text", text: { body: "Raw text" } } }));

// ---- mark as read --------------------------------------------------------------------
await op("read", "markRead", () => m.markRead({ phoneNumberId: P, messageId: inbound[1]?.wamid ?? first }), success);
await op("read", "markRead:typingIndicator", () =>
  m.markRead({ phoneNumberId: P, messageId: inbound[2]?.wamid ?? first, typingIndicator: { type: "text" } }), success);

// ---- templates -----------------------------------------------------------------------
const { buildTemplateDefinition } = TemplateDefinition;
const defs = [
  buildTemplateDefinition({
    name: "kapso_suite_marketing", language: "en_US", category: "MARKETING",
    components: [
      { type: "HEADER", format: "TEXT", text: "Big news for {{1}}", example: { headerText: ["Ana"] } },
      { type: "BODY", text: "Hi {{1}}, your code {{2}} gives you early access to the spring range.",
        example: { bodyText: [["Ana", "EARLY25"]] } },
      { type: "FOOTER", text: "Reply STOP to opt out" },
      { type: "BUTTONS", buttons: [
        { type: "QUICK_REPLY", text: "Not interested" },
        { type: "URL", text: "Shop now", url: "https://shop.example.com/c/{{1}}", example: ["https://shop.example.com/c/spring"] },
      ] },
    ],
  }),
  buildTemplateDefinition({
    name: "kapso_suite_named", language: "en_US", category: "UTILITY", parameterFormat: "NAMED",
    components: [{ type: "BODY", text: "Hi {{customer}}, your order {{order_id}} has shipped today.",
      example: { bodyTextNamedParams: [{ paramName: "customer", example: "Ana" }, { paramName: "order_id", example: "860198" }] } }],
  }),
  buildTemplateDefinition({
    name: "kapso_suite_gone", language: "en_US", category: "UTILITY",
    components: [{ type: "BODY", text: "Your appointment is confirmed for tomorrow morning." }],
  }),
];
const created = {};
for (const d of defs) {
  const r = await op("templates", `templates.create:${d.name}`, () => client.templates.create({
    businessAccountId: W, name: d.name, language: d.language, category: d.category,
    parameterFormat: d.parameterFormat, components: d.components,
  }), (r) => (/^\d+$/.test(String(r?.id)) ? null : JSON.stringify(r)));
  if (r) created[d.name] = r.id;
}
await op("templates", "templates.list", () => client.templates.list({ businessAccountId: W, limit: 100 }), (r) => {
  const names = new Set((r?.data ?? []).map((t) => t.name));
  const missing = Object.keys(created).filter((n) => !names.has(n));
  return missing.length ? `not listed: ${missing}` : null;
});
await op("templates", "templates.list:filtered", () => client.templates.list({
  businessAccountId: W, name: "kapso_suite_named", language: "en_US", category: "UTILITY" }),
(r) => (r?.data?.length === 1 && r.data[0].name === "kapso_suite_named" ? null : JSON.stringify(r)));
const approved = async (id) => {
  for (let i = 0; i < 150; i++) {
    const t = await client.templates.get({ businessAccountId: W, templateId: id });
    if (t.status === "APPROVED") return t;
    if (t.status !== "PENDING") throw new Error(`template ${id} is ${t.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`template ${id} not APPROVED in 15 s`);
};
if (created.kapso_suite_marketing) {
  await op("templates", "templates.get", () => approved(created.kapso_suite_marketing));
}
for (const n of ["kapso_suite_named", "kapso_suite_gone"]) if (created[n]) await approved(created[n]).catch(() => {});
await op("templates", "sendTemplate", () => m.sendTemplate({ ...base, template: buildTemplateSendPayload({
  name: "kapso_suite_marketing", language: "en_US",
  header: { type: "text", text: "Ana" },
  body: [{ type: "text", text: "Ana" }, { type: "text", text: "EARLY25" }],
  buttons: [
    { type: "button", subType: "quick_reply", index: 0, parameters: [{ type: "payload", payload: "no" }] },
    { type: "button", subType: "url", index: 1, parameters: [{ type: "text", text: "spring" }] },
  ],
}) }), undefined, sent);
await op("templates", "sendTemplate:named", () => m.sendTemplate({ ...base, template: buildTemplateSendPayload({
  name: "kapso_suite_named", language: "en_US",
  body: [{ type: "text", text: "Ana", parameterName: "customer" }, { type: "text", text: "42", parameterName: "order_id" }],
}) }), undefined, sent);
await op("templates", "sendTemplate:raw_components", () => m.sendTemplate({ ...base, template: {
  name: "kapso_suite_gone", language: { code: "en_US", policy: "deterministic" } } }), undefined, sent);
await op("templates", "templates.delete", () => client.templates.delete({ businessAccountId: W, name: "kapso_suite_gone" }), success);
await op("templates", "templates.delete:language", () =>
  client.templates.delete({ businessAccountId: W, name: "kapso_suite_named", language: "en_US" }), success);

// ---- business profile ----------------------------------------------------------------
const bp = client.phoneNumbers.businessProfile;
await op("profile", "businessProfile.update", () => bp.update({ phoneNumberId: P, about: "Fresh food, fast",
  address: "Rua A 1, Lisboa", description: "A kapso suite shop", email: "shop@example.com",
  websites: ["https://example.com"], vertical: "RETAIL" }), success);
await op("profile", "businessProfile.get", () => bp.get({ phoneNumberId: P,
  fields: "about,address,description,email,profile_picture_url,websites,vertical" }), (r) => {
  const p = r?.data?.[0];
  return p?.about === "Fresh food, fast" && p?.vertical === "RETAIL" ? null : JSON.stringify(r);
});
await op("profile", "businessProfile.update:profilePictureUrl", () =>
  bp.update({ phoneNumberId: P, profilePictureUrl: link("photo.jpg") }), success);

// ---- phone numbers and registration --------------------------------------------------
const pn = client.phoneNumbers;
await op("phone", "settings.get", () => pn.settings.get({ phoneNumberId: P }));
await op("phone", "settings.update", () => pn.settings.update({ phoneNumberId: P, fallbackLanguage: "en_US" }), success);
await op("phone", "requestCode", () => pn.requestCode({ phoneNumberId: P, codeMethod: "SMS", language: "en" }), success);
await op("phone", "verifyCode", async () => pn.verifyCode({ phoneNumberId: P, code: await wagate.verificationCode() }), success);
await op("phone", "deregister", () => pn.deregister({ phoneNumberId: P }), success);
await op("phone", "register", () => pn.register({ phoneNumberId: P, pin: "123456" }), success);
