// Shared by the Node drivers of the conformance suite (wajs_suite.mjs, kapso_suite.mjs):
// arguments, the JSON-lines output, the operation runner, a recording fetch, and calls to
// wagate's own sandbox API (which are not library operations).
//
// Output (stdout, one JSON object per line), as pywa_suite.py's:
//   {"lib","area","op","ok","why"}            one operation; with `sent` (a wamid whose
//                                             statuses the receiver must parse) or
//                                             `failed_send` (a wamid that must fail)
//   {"lib","inbound":wamid,"type","expect"}   a message a virtual user sent
//   {"lib","template_created":id,"name"}     a template the driver created

import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export function readArgs(lib) {
  const { values } = parseArgs({
    options: {
      "base-url": { type: "string" },
      token: { type: "string" },
      "phone-id": { type: "string" },
      "waba-id": { type: "string" },
      "files-url": { type: "string" },
      "files-dir": { type: "string" },
      user: { type: "string" },
      "node-modules": { type: "string" },
    },
  });
  for (const k of ["base-url", "token", "phone-id", "waba-id", "files-url", "files-dir", "user"]) {
    if (!values[k]) {
      console.error(`${lib}_suite: missing --${k}`);
      process.exit(2);
    }
  }
  values["base-url"] = values["base-url"].replace(/\/+$/, "");
  values["files-url"] = values["files-url"].replace(/\/+$/, "");
  values["node-modules"] = path.resolve(
    values["node-modules"] ??
      process.env.WAGATE_SDK_NODE_MODULES ??
      "/tmp/wagate-sdk/node/node_modules",
  );
  return values;
}

/** Imports `rel` (a path inside node_modules). */
export async function importModule(nodeModules, rel) {
  return import(pathToFileURL(path.join(nodeModules, rel)).href);
}

const clip = (s, n = 400) => {
  s = String(s);
  return s.length <= n ? s : s.slice(0, n) + "…";
};

export class Suite {
  constructor(lib) {
    this.lib = lib;
    this.last = null;
  }

  out(rec) {
    process.stdout.write(JSON.stringify({ lib: this.lib, ...rec }) + "\n");
  }

  /**
   * A fetch that records the last exchange (quoted when an operation fails) and, when
   * `rewrite` is given, sends requests for https://graph.facebook.com to it instead.
   */
  fetch(rewrite) {
    return async (input, init = {}) => {
      let url = input instanceof Request ? input.url : String(input);
      if (rewrite && url.startsWith("https://graph.facebook.com/")) {
        url = rewrite + url.slice("https://graph.facebook.com".length);
      }
      const method = init.method ?? (input instanceof Request ? input.method : "GET");
      const target = new URL(url);
      let res;
      try {
        res = await fetch(input instanceof Request ? new Request(url, input) : url, init);
      } catch (e) {
        this.last = `${method} ${clip(target.pathname + target.search, 160)} -> ${e.cause?.code ?? e.message}`;
        throw e;
      }
      const ctype = res.headers.get("content-type") ?? "";
      let body = `<${ctype || "no content-type"}>`;
      if (/json|text/.test(ctype)) body = await res.clone().text();
      this.last = `${method} ${clip(target.pathname + target.search, 160)} -> ${res.status} ${clip(body, 300)}`;
      return res;
    };
  }

  describe(e) {
    let why;
    if (e?.name === "GraphApiError") {
      why = `GraphApiError code=${e.code} subcode=${e.errorSubcode} http=${e.httpStatus} message=${JSON.stringify(e.message)}`;
      if (e.details) why += ` details=${JSON.stringify(clip(e.details, 200))}`;
    } else if (e?.name === "ZodError" || e?.issues) {
      why = `${e.name}: ${clip(JSON.stringify(e.issues ?? e.message), 300)}`;
    } else {
      const at = (e?.stack ?? "").split("\n").find((l) => l.includes("node_modules"));
      why = `${e?.name ?? "Error"}: ${clip(e?.message ?? e, 300)}${at ? ` (${at.trim()})` : ""}`;
    }
    if (this.last) why += ` [last: ${this.last}]`;
    return why;
  }

  /**
   * Runs one operation. `check(result)` returns undefined/null when fine, else what is
   * wrong. With `sent`, the result is a send answer whose messages[0].id must be a wamid;
   * with `failedSend` too, and that message must fail.
   */
  async op(area, name, fn, check, { sent = false, failedSend = false } = {}) {
    this.last = null;
    let result;
    try {
      result = await fn();
    } catch (e) {
      this.out({ area, op: name, ok: false, why: this.describe(e) });
      return undefined;
    }
    let problem = null;
    let wamid;
    if (sent || failedSend) {
      wamid = result?.messages?.[0]?.id;
      if (!String(wamid).startsWith("wamid.")) problem = `no wamid in the answer: ${clip(JSON.stringify(result))}`;
      else if (result?.error) problem = `error in the answer: ${clip(JSON.stringify(result))}`;
    }
    if (!problem && check) {
      try {
        problem = (await check(result)) ?? null;
      } catch (e) {
        problem = this.describe(e);
      }
    }
    const rec = { area, op: name, ok: !problem, why: problem || undefined };
    if (!problem && wamid) rec[failedSend ? "failed_send" : "sent"] = wamid;
    this.out(rec);
    return problem ? undefined : result;
  }

  /** An operation that cannot run because an earlier one failed. */
  blocked(area, name, because) {
    this.out({ area, op: name, ok: false, why: `not run: ${because}` });
  }
}

/** wagate's own API (not a library operation): bearer-authenticated JSON. */
export class Wagate {
  constructor(args, suite) {
    this.base = args["base-url"];
    this.token = args.token;
    this.phone = args["phone-id"];
    this.suite = suite;
  }

  async call(method, p, body) {
    const res = await fetch(this.base + p, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }

  /** A virtual user sends `message`; returns the stored message (`wamid`, `bsuid`). */
  async inject(message, expect) {
    const r = await this.call("POST", `/sandbox/${this.phone}/inbound`, message);
    if (r.status !== 201) {
      this.suite.out({
        area: "webhooks",
        op: `inject:${message.type}`,
        ok: false,
        why: `POST /sandbox/{pnid}/inbound -> ${r.status} ${clip(r.text)}`,
      });
      return undefined;
    }
    const type = message.type === "interactive" ? `interactive:${message.interactive.type}` : message.type;
    if (expect) this.suite.out({ inbound: r.json.wamid, type, expect });
    return r.json;
  }

  /**
   * Creates and publishes a flow named `name` on `waba` (wagate's Graph endpoint, plain
   * HTTP) whose Flow JSON has a WELCOME screen; returns its id. Flow messages and FLOW
   * buttons must name a flow of the WABA, as on Meta.
   */
  async flow(waba, name) {
    const flowJson = JSON.stringify({
      version: "6.0",
      screens: [{
        id: "WELCOME", title: "Welcome", terminal: true,
        layout: { type: "SingleColumnLayout", children: [
          { type: "TextHeading", text: "Hello" },
          { type: "Footer", label: "Done", "on-click-action": { name: "complete", payload: {} } },
        ] },
      }],
    });
    const r = await this.call("POST", `/v23.0/${waba}/flows`,
      { name, categories: ["OTHER"], flow_json: flowJson, publish: true });
    if (r.status !== 200) throw new Error(`creating flow ${name}: ${r.status} ${clip(r.text)}`);
    return r.json.id;
  }

  /** Creates a template (wagate's Graph endpoint, plain HTTP) and waits for APPROVED. */
  async template(waba, body) {
    const r = await this.call("POST", `/v23.0/${waba}/message_templates`, body);
    if (r.status !== 200) throw new Error(`creating ${body.name}: ${r.status} ${clip(r.text)}`);
    const id = r.json.id;
    for (let i = 0; i < 150; i++) {
      const t = await this.call("GET", `/v23.0/${id}`);
      if (t.json?.status === "APPROVED") return id;
      if (t.json?.status !== "PENDING") throw new Error(`${body.name} is ${t.json?.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${body.name} not APPROVED in 15 s`);
  }

  async verificationCode() {
    const r = await this.call("GET", `/sandbox/${this.phone}/verification_code`);
    if (r.status !== 200) throw new Error(`GET /sandbox/{pnid}/verification_code -> ${r.status} ${clip(r.text)}`);
    return r.json.code;
  }
}

/** The suite's sample files (written by files.py). */
export function files(dir) {
  const read = (n) => readFileSync(path.join(dir, n));
  return {
    png: read("pixel.png"),
    jpg: read("photo.jpg"),
    mp4: read("clip.mp4"),
    ogg: read("voice.ogg"),
    mp3: read("song.mp3"),
    pdf: read("invoice.pdf"),
    webp: read("sticker.webp"),
  };
}

/** Inbound messages of every kind (reference §5.4); `ctx` is the business message that
 *  replies quote. `expect` is the receiver record kind (whatsapp-api-js: always message). */
export function inboundOfEveryType(user, ctx) {
  const reply = (m) => ({ ...m, context: { id: ctx } });
  return [
    { from: user, type: "image", image: { caption: "my receipt" } },
    { from: user, type: "video", video: { mime_type: "video/mp4" } },
    { from: user, type: "audio", audio: { mime_type: "audio/ogg", voice: true } },
    { from: user, type: "document", document: { mime_type: "application/pdf", filename: "a.pdf" } },
    { from: user, type: "sticker", sticker: { mime_type: "image/webp", animated: false } },
    { from: user, type: "location", location: { latitude: 38.72, longitude: -9.14, name: "Praça" } },
    {
      from: user,
      type: "contacts",
      contacts: [
        { name: { formatted_name: "Ana Silva", first_name: "Ana" }, phones: [{ phone: "+351 912 345 678", type: "CELL" }] },
      ],
    },
    { from: user, type: "reaction", reaction: { message_id: ctx, emoji: "❤️" } },
    reply({ from: user, type: "interactive", interactive: { type: "button_reply", button_reply: { id: "yes", title: "Yes" } } }),
    reply({
      from: user,
      type: "interactive",
      interactive: { type: "list_reply", list_reply: { id: "tea", title: "Tea", description: "Hot" } },
    }),
    reply({
      from: user,
      type: "interactive",
      interactive: {
        type: "nfm_reply",
        nfm_reply: { name: "flow", body: "Sent", response_json: '{"flow_token":"tok-1","a":"1"}' },
      },
    }),
    reply({ from: user, type: "button", button: { payload: "STOP_PROMOS", text: "Stop promotions" } }),
    {
      from: user,
      type: "order",
      order: {
        catalog_id: "123456789",
        text: "For today",
        product_items: [{ product_retailer_id: "sku-1", quantity: 2, item_price: 9.5, currency: "EUR" }],
      },
    },
  ];
}
