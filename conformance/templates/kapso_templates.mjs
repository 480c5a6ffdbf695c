// Templates through the unmodified @kapso/whatsapp-cloud-api library (conformance harness).
//
//   node kapso_templates.mjs --base-url URL --token KEY --waba-id W --phone-id P \
//        [--to +15551230001] [--wait 15] [--node-modules DIR]
//
// (or WAGATE_BASE_URL, WAGATE_API_KEY, WAGATE_WABA_ID, WAGATE_PHONE_NUMBER_ID). DIR defaults
// to $WAGATE_SDK_NODE_MODULES, else /tmp/wagate-sdk/node/node_modules (as made by
// conformance/webhooks/setup.sh).
//
// Creates templates built with the library's creation builder
// (TemplateDefinition.buildTemplateDefinition) through client.templates.create, lists them
// with client.templates.list, waits for APPROVED with client.templates.get, sends each with
// client.messages.sendTemplate and a payload from buildTemplateSendPayload, and sends one
// template with a missing body parameter, which must be refused. The client is pointed at
// wagate with its own `baseUrl` option.
//
// Every operation prints one JSON line: {"op", "template"?, "ok", "detail"}. The script
// exits 0 whatever happened; the caller judges.

import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    "base-url": { type: "string", default: process.env.WAGATE_BASE_URL },
    token: { type: "string", default: process.env.WAGATE_API_KEY },
    "waba-id": { type: "string", default: process.env.WAGATE_WABA_ID },
    "phone-id": { type: "string", default: process.env.WAGATE_PHONE_NUMBER_ID },
    to: { type: "string", default: "+15551230001" },
    wait: { type: "string", default: "15" },
    "node-modules": { type: "string" },
  },
});
for (const k of ["base-url", "token", "waba-id", "phone-id"]) {
  if (!args[k]) {
    console.error(`kapso_templates: missing --${k}`);
    process.exit(2);
  }
}

const nodeModules =
  args["node-modules"] ??
  process.env.WAGATE_SDK_NODE_MODULES ??
  "/tmp/wagate-sdk/node/node_modules";
const entry = path.join(
  path.resolve(nodeModules),
  "@kapso",
  "whatsapp-cloud-api",
  "dist",
  "index.js",
);
const { WhatsAppClient, TemplateDefinition, buildTemplateSendPayload, GraphApiError } =
  await import(pathToFileURL(entry).href);

function emit(op, ok, detail, template) {
  const rec = { op, ok, detail };
  if (template !== undefined) rec.template = template;
  process.stdout.write(JSON.stringify(rec) + "\n");
}

function errorDetail(e) {
  if (e instanceof GraphApiError) {
    return {
      error: e.name,
      code: e.code,
      subcode: e.errorSubcode,
      http_status: e.httpStatus,
      message: e.message,
      details: e.details,
      category: e.category,
    };
  }
  return { error: e?.name ?? "Error", message: String(e?.message ?? e), issues: e?.issues };
}

// A resumable-upload file handle as Meta returns it: the header example of a media
// header is a handle (media uploads are not part of this check).
const IMAGE_HANDLE = "4::aW1hZ2UvanBlZw==:ARZsampleHandleForTheHeaderExample";
const LANG = "en_US";

/** Each template as the library's creation builder makes it, and how to send it. */
function templates() {
  const { buildTemplateDefinition } = TemplateDefinition;
  const marketingButtons = [
    { type: "button", subType: "quick_reply", index: 0, parameters: [{ type: "payload", payload: "not_interested" }] },
    { type: "button", subType: "url", index: 1, parameters: [{ type: "text", text: "spring" }] },
  ];
  return [
    // MARKETING: text header with a positional variable, body with variables and
    // examples, footer, a quick reply and a dynamic URL button.
    {
      definition: buildTemplateDefinition({
        name: "kapso_marketing",
        language: LANG,
        category: "MARKETING",
        components: [
          { type: "HEADER", format: "TEXT", text: "Big news for {{1}}", example: { headerText: ["Ana"] } },
          {
            type: "BODY",
            text: "Hi {{1}}, your code {{2}} gives you early access to our new spring collection.",
            example: { bodyText: [["Ana", "EARLY25"]] },
          },
          { type: "FOOTER", text: "Reply STOP to opt out" },
          {
            type: "BUTTONS",
            buttons: [
              { type: "QUICK_REPLY", text: "Not interested" },
              {
                type: "URL",
                text: "Shop now",
                url: "https://shop.example.com/c/{{1}}",
                example: ["https://shop.example.com/c/spring"],
              },
            ],
          },
        ],
      }),
      send: {
        header: { type: "text", text: "Ana" },
        body: [
          { type: "text", text: "Ana" },
          { type: "text", text: "EARLY25" },
        ],
        buttons: marketingButtons,
      },
      // The wrong send: the same without its body parameters.
      invalid: {
        header: { type: "text", text: "Ana" },
        buttons: marketingButtons,
      },
    },
    // UTILITY with NAMED parameters.
    {
      definition: buildTemplateDefinition({
        name: "kapso_named_utility",
        language: LANG,
        category: "UTILITY",
        parameterFormat: "NAMED",
        components: [
          {
            type: "HEADER",
            format: "TEXT",
            text: "Order {{order_id}}",
            example: { headerTextNamedParams: [{ paramName: "order_id", example: "860198" }] },
          },
          {
            type: "BODY",
            text: "Hi {{customer_name}}, your order {{order_id}} has shipped and arrives on {{day}}. Thanks!",
            example: {
              bodyTextNamedParams: [
                { paramName: "customer_name", example: "Pablo" },
                { paramName: "order_id", example: "860198" },
                { paramName: "day", example: "Friday" },
              ],
            },
          },
          { type: "FOOTER", text: "Lucky Shrub" },
        ],
      }),
      send: {
        header: { type: "text", text: "42", parameterName: "order_id" },
        body: [
          { type: "text", text: "Ana", parameterName: "customer_name" },
          { type: "text", text: "42", parameterName: "order_id" },
          { type: "text", text: "Monday", parameterName: "day" },
        ],
      },
    },
    // AUTHENTICATION with an OTP copy-code button.
    {
      definition: buildTemplateDefinition({
        name: "kapso_auth",
        language: LANG,
        category: "AUTHENTICATION",
        components: [
          { type: "BODY", addSecurityRecommendation: true },
          { type: "FOOTER", codeExpirationMinutes: 10 },
          { type: "BUTTONS", buttons: [{ type: "OTP", otpType: "COPY_CODE", text: "Copy code" }] },
        ],
      }),
      send: {
        body: [{ type: "text", text: "123456" }],
        buttons: [{ type: "button", subType: "url", index: 0, parameters: [{ type: "text", text: "123456" }] }],
      },
    },
    // A COPY_CODE (coupon) button.
    {
      definition: buildTemplateDefinition({
        name: "kapso_coupon",
        language: LANG,
        category: "MARKETING",
        components: [
          {
            type: "BODY",
            text: "Use code {{1}} on your next visit to our store.",
            example: { bodyText: [["SPRING25"]] },
          },
          { type: "BUTTONS", buttons: [{ type: "COPY_CODE", example: "SPRING25" }] },
        ],
      }),
      send: {
        body: [{ type: "text", text: "SPRING25" }],
        buttons: [
          {
            type: "button",
            subType: "copy_code",
            index: 0,
            parameters: [{ type: "coupon_code", coupon_code: "SPRING25" }],
          },
        ],
      },
    },
    // An IMAGE header: the example is a file handle, the send uses a link.
    {
      definition: buildTemplateDefinition({
        name: "kapso_image",
        language: LANG,
        category: "MARKETING",
        components: [
          { type: "HEADER", format: "IMAGE", example: { headerHandle: [IMAGE_HANDLE] } },
          { type: "BODY", text: "Our new catalog is here, take a look at this season's picks." },
        ],
      }),
      send: { header: { type: "image", image: { link: "https://shop.example.com/catalog.jpg" } } },
    },
  ];
}

const client = new WhatsAppClient({
  accessToken: args.token,
  baseUrl: args["base-url"],
  graphVersion: "v23.0",
});
const wabaId = args["waba-id"];
const phoneNumberId = args["phone-id"];

let built = [];
try {
  built = templates();
} catch (e) {
  emit("build", false, errorDetail(e));
}

// 1. Create.
const ids = new Map();
for (const { definition: d } of built) {
  try {
    const created = await client.templates.create({
      businessAccountId: wabaId,
      name: d.name,
      language: d.language,
      category: d.category,
      parameterFormat: d.parameterFormat,
      components: d.components,
    });
    ids.set(d.name, created.id);
    emit("create", typeof created.id === "string", created, d.name);
  } catch (e) {
    emit("create", false, errorDetail(e), d.name);
  }
}

// 2. List (every page).
try {
  const names = new Set();
  let after;
  let pages = 0;
  do {
    const page = await client.templates.list({ businessAccountId: wabaId, limit: 100, after });
    for (const t of page.data ?? []) names.add(t.name);
    after = page.paging?.next ? page.paging?.cursors?.after : undefined;
    pages += 1;
  } while (after && pages < 20);
  const missing = built.map((b) => b.definition.name).filter((n) => !names.has(n));
  emit("list", missing.length === 0, { listed: [...names].sort(), missing });
} catch (e) {
  emit("list", false, errorDetail(e));
}

// 3. Wait for APPROVED, reading each template by id.
const deadline = Date.now() + Number(args.wait) * 1000;
for (const { definition: d } of built) {
  const templateId = ids.get(d.name);
  if (templateId === undefined) continue;
  try {
    let t;
    for (;;) {
      t = await client.templates.get({ businessAccountId: wabaId, templateId });
      if (t.status !== "PENDING" || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    emit(
      "approved",
      t.status === "APPROVED",
      { id: templateId, status: t.status, components: t.components?.length },
      d.name,
    );
  } catch (e) {
    emit("approved", false, errorDetail(e), d.name);
  }
}

async function send(name, parts) {
  const template = buildTemplateSendPayload({ name, language: LANG, ...parts });
  const res = await client.messages.sendTemplate({ phoneNumberId, to: args.to, template });
  return res?.messages?.[0]?.id;
}

// 4. Send each.
for (const { definition: d, send: parts } of built) {
  try {
    const id = await send(d.name, parts);
    emit("send", typeof id === "string", { id }, d.name);
  } catch (e) {
    emit("send", false, errorDetail(e), d.name);
  }
}

// 5. The wrong send: a missing body parameter. It must be refused.
const wrong = built.find((b) => b.invalid);
if (wrong) {
  try {
    const id = await send(wrong.definition.name, wrong.invalid);
    emit("send_invalid", true, { id }, wrong.definition.name);
  } catch (e) {
    emit("send_invalid", false, errorDetail(e), wrong.definition.name);
  }
}
