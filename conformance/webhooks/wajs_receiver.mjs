// Webhook receiver built on the unmodified whatsapp-api-js library (conformance harness).
//
//   node wajs_receiver.mjs --port P --phone-id ID --token T --app-secret S --verify-token V \
//        [--host 127.0.0.1] [--node-modules DIR]
//
// DIR defaults to $WAGATE_SDK_NODE_MODULES, else /tmp/wagate-sdk/node/node_modules
// (as made by setup.sh). Every POST goes through WhatsAppAPI.post(JSON.parse(raw), raw,
// signature) with secure: true, so the library itself checks X-Hub-Signature-256 against
// the raw body; the verification GET goes through WhatsAppAPI.get(). Each outcome is
// recorded as one JSON line on stdout and kept for GET /received (a JSON array).
// The first stdout line is {"lib":"wajs","kind":"listening","port":N} (not in /received).

import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const LIB = "wajs";

const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    "phone-id": { type: "string" },
    token: { type: "string" },
    "app-secret": { type: "string" },
    "verify-token": { type: "string" },
    "node-modules": { type: "string" },
  },
});
for (const k of ["port", "phone-id", "token", "app-secret", "verify-token"]) {
  if (args[k] === undefined) {
    console.error(`wajs_receiver: missing --${k}`);
    process.exit(2);
  }
}

const nodeModules =
  args["node-modules"] ??
  process.env.WAGATE_SDK_NODE_MODULES ??
  "/tmp/wagate-sdk/node/node_modules";
const entry = path.join(path.resolve(nodeModules), "whatsapp-api-js", "lib", "index.js");
const { WhatsAppAPI } = await import(pathToFileURL(entry).href);
const errors = await import(
  pathToFileURL(path.join(path.dirname(entry), "errors.js")).href
);

const records = [];
function record(rec) {
  const clean = { lib: LIB };
  for (const [k, v] of Object.entries(rec)) if (v !== undefined && v !== null) clean[k] = v;
  records.push(clean);
  process.stdout.write(JSON.stringify(clean) + "\n");
}

const Whatsapp = new WhatsAppAPI({
  token: args.token,
  appSecret: args["app-secret"],
  webhookVerifyToken: args["verify-token"],
  secure: true,
  v: "v23.0",
});

// Per-POST flag: set when one of our handlers ran.
let handled = false;

Whatsapp.on.message = ({ phoneID, from, contact, message }) => {
  handled = true;
  const rec = {
    kind: "message",
    id: message.id,
    type: message.type,
    from: contact?.wa_id ?? from,
    user_id: contact?.user_id,
    name: contact?.profile?.name,
    phone_id: phoneID,
  };
  if (message.type === "text") rec.text = message.text?.body;
  if (message.type === "interactive") {
    rec.interactive_type = message.interactive?.type;
    const r = message.interactive?.[message.interactive?.type];
    if (r && typeof r === "object") rec.data = r.id ?? r.name;
  }
  if (message.type === "button") rec.data = message.button?.payload;
  record(rec);
};

Whatsapp.on.status = ({ phoneID, contact, status, id, error, pricing, type }) => {
  handled = true;
  record({
    kind: "status",
    id,
    status,
    from: contact?.wa_id,
    user_id: contact?.user_id,
    phone_id: phoneID,
    recipient_type: type,
    error_code: error?.code,
    pricing_category: pricing?.category,
  });
};

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res, code, body, ctype = "text/plain") {
  const data = Buffer.from(String(body ?? ""), "utf8");
  res.writeHead(code, { "Content-Type": ctype, "Content-Length": data.length });
  res.end(data);
}

// Serialise POST handling so the `handled` flag belongs to exactly one update.
let queue = Promise.resolve();

async function handlePost(raw, signature) {
  handled = false;
  let data;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    record({ kind: "rejected", code: 400, reason: `invalid JSON: ${e.message}` });
    return [400, "Bad Request"];
  }
  const value = data?.entry?.[0]?.changes?.[0]?.value;
  const field = data?.entry?.[0]?.changes?.[0]?.field;
  try {
    await Whatsapp.post(data, raw, signature);
    if (!handled) record({ kind: "unhandled", field, reason: "post() returned without calling a handler" });
    return [200, "ok"];
  } catch (e) {
    const lib = e instanceof errors.WhatsAppAPIError;
    const code = lib ? e.httpStatus : 500;
    if (lib && e instanceof errors.WhatsAppAPIUnexpectedError && code === 200) {
      // The library understood the payload but has no emitter for it.
      const m = value?.messages?.[0];
      const s = value?.statuses?.[0];
      record({
        kind: "unhandled",
        field,
        id: m?.id ?? s?.id,
        type: m?.type,
        status: s?.status,
        reason: e.message,
      });
      return [200, "ok"];
    }
    record({ kind: "rejected", code, field, reason: `${e.name}: ${e.message}` });
    return [code, e.message];
  }
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  try {
    if (req.method === "GET" && url.pathname === "/received") {
      return send(res, 200, JSON.stringify(records), "application/json");
    }
    if (req.method === "GET") {
      try {
        const challenge = Whatsapp.get(Object.fromEntries(url.searchParams));
        record({ kind: "verify", code: 200, challenge });
        return send(res, 200, challenge);
      } catch (e) {
        const code = e instanceof errors.WhatsAppAPIError ? e.httpStatus : 500;
        record({ kind: "rejected", code, reason: `${e.name}: ${e.message}` });
        return send(res, code, e.message);
      }
    }
    if (req.method === "POST") {
      const raw = await readBody(req);
      const signature = req.headers["x-hub-signature-256"];
      const p = queue.then(() => handlePost(raw, signature));
      queue = p.catch(() => {});
      const [code, body] = await p;
      return send(res, code, body);
    }
    send(res, 405, "Method Not Allowed");
  } catch (e) {
    console.error("wajs_receiver:", e);
    if (!res.headersSent) send(res, 500, "internal error");
  }
});

server.listen(Number(args.port), args.host, () => {
  process.stdout.write(
    JSON.stringify({ lib: LIB, kind: "listening", port: server.address().port }) + "\n",
  );
});
