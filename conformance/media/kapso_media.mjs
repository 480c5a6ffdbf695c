// Media through the unmodified @kapso/whatsapp-cloud-api library's own media calls
// (conformance harness).
//
//   node kapso_media.mjs --base-url URL --token KEY --phone-id P [--to +15551230001] \
//        [--node-modules DIR]
//
// (or WAGATE_BASE_URL, WAGATE_API_KEY, WAGATE_PHONE_NUMBER_ID). DIR defaults to
// $WAGATE_SDK_NODE_MODULES, else /tmp/wagate-sdk/node/node_modules (as made by
// conformance/webhooks/setup.sh).
//
// Uploads a PNG (a Uint8Array, with a file name) and a PDF (a typed Blob, no file name)
// with client.media.upload, reads each with client.media.get, downloads them with
// client.media.download (the PNG without a token, as the library does by default for
// non-Kapso hosts; the PDF with auth: "always" and phoneNumberId) and compares bytes and
// sha256 with the originals, sends the PNG with client.messages.sendImage and the PDF with
// client.messages.sendDocument by id, deletes both with client.media.delete (with and
// without phoneNumberId), checks that a second client.media.get fails and that the old
// download URL serves nothing (client.rawFetch), and uploads PNG bytes declared as JPEG,
// which must be refused with Graph code 100. The client is pointed at wagate with its own
// `baseUrl` option.
//
// Every operation prints one JSON line: {"op", "ok", "detail"}. `ok` means "behaved as a
// client would expect" (for the refusals: the library threw the expected error). The
// script exits 0 whatever happened; the caller judges.

import { createHash } from "node:crypto";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { deflateSync } from "node:zlib";

const { values: args } = parseArgs({
  options: {
    "base-url": { type: "string", default: process.env.WAGATE_BASE_URL },
    token: { type: "string", default: process.env.WAGATE_API_KEY },
    "phone-id": { type: "string", default: process.env.WAGATE_PHONE_NUMBER_ID },
    to: { type: "string", default: "+15551230001" },
    "node-modules": { type: "string" },
  },
});
for (const k of ["base-url", "token", "phone-id"]) {
  if (!args[k]) {
    console.error(`kapso_media: missing --${k}`);
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
const { WhatsAppClient, GraphApiError } = await import(pathToFileURL(entry).href);

function emit(op, ok, detail) {
  process.stdout.write(JSON.stringify({ op, ok, detail }) + "\n");
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

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A 1x1 transparent RGBA PNG: signature, IHDR, one IDAT, IEND. */
function png1x1() {
  const chunk = (kind, data) => {
    const body = Buffer.concat([Buffer.from(kind, "ascii"), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, deflate, no filter, no interlace
  const idat = deflateSync(Buffer.from([0, 0, 0, 0, 0])); // filter 0, one transparent pixel
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A one-page PDF-1.4 with a correct cross-reference table. */
function tinyPdf() {
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] >>",
  ];
  let out = "%PDF-1.4\n";
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) out += `${String(off).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "ascii");
}

const client = new WhatsAppClient({
  accessToken: args.token,
  baseUrl: args["base-url"],
  graphVersion: "v23.0",
});
const phoneNumberId = args["phone-id"];
const base = args["base-url"].replace(/\/+$/, "");
const png = png1x1();
const pdf = tinyPdf();
const originals = { png, pdf };
const mime = { png: "image/png", pdf: "application/pdf" };

// 1. Upload: the PNG as a Uint8Array with a file name, the PDF as a typed Blob.
const uploaded = {};
for (const [op, key, input] of [
  ["upload_png", "png", { type: "image/png", file: new Uint8Array(png), fileName: "pixel.png" }],
  ["upload_pdf", "pdf", { type: "application/pdf", file: new Blob([pdf], { type: "application/pdf" }) }],
]) {
  try {
    const res = await client.media.upload({ phoneNumberId, ...input });
    if (typeof res?.id === "string") uploaded[key] = res.id;
    emit(op, /^\d+$/.test(res?.id ?? ""), res);
  } catch (e) {
    emit(op, false, errorDetail(e));
  }
}

// 2. Read the media info (the library camel-cases it: mimeType, fileSize, ...).
const infos = {};
for (const key of ["png", "pdf"]) {
  const mediaId = uploaded[key];
  if (mediaId === undefined) continue;
  try {
    const info = await client.media.get({ mediaId });
    infos[key] = info;
    const want = originals[key];
    const problems = [];
    if (info.id !== mediaId) problems.push(`id ${info.id} != ${mediaId}`);
    if (info.messagingProduct !== "whatsapp") problems.push(`messagingProduct ${info.messagingProduct}`);
    if (info.mimeType !== mime[key]) problems.push(`mimeType ${info.mimeType}`);
    if (Number(info.fileSize) !== want.length) problems.push(`fileSize ${info.fileSize} != ${want.length}`);
    if (info.sha256 !== sha256(want)) problems.push(`sha256 ${info.sha256} != ${sha256(want)}`);
    if (typeof info.url !== "string" || !info.url.startsWith(`${base}/`)) problems.push(`url ${info.url} not on ${base}`);
    emit(`info_${key}`, problems.length === 0, { ...info, problems });
  } catch (e) {
    emit(`info_${key}`, false, errorDetail(e));
  }
}

function judge(op, got, key, extra = {}) {
  const want = originals[key];
  const same = Buffer.compare(got, want) === 0 && sha256(got) === sha256(want);
  emit(op, same, { bytes: got.length, sha256: sha256(got), ...extra });
}

// 3. Download through the library: it gets a fresh URL with media.get, then fetches it.
if (uploaded.png !== undefined) {
  try {
    // auth "auto" (the default): no token for a non-Kapso host.
    const buf = await client.media.download({ mediaId: uploaded.png });
    judge("download_png", Buffer.from(buf), "png", { auth: "auto" });
  } catch (e) {
    emit("download_png", false, errorDetail(e));
  }
}
if (uploaded.pdf !== undefined) {
  try {
    // auth "always": the Bearer token goes along; phoneNumberId adds ?phone_number_id=.
    const res = await client.media.download({
      mediaId: uploaded.pdf,
      phoneNumberId,
      auth: "always",
      as: "response",
    });
    const buf = Buffer.from(await res.arrayBuffer());
    const contentType = res.headers.get("content-type");
    if (res.status !== 200 || contentType !== "application/pdf") {
      emit("download_pdf", false, { status: res.status, contentType, body: buf.toString("utf8", 0, 300) });
    } else {
      judge("download_pdf", buf, "pdf", { auth: "always", contentType });
    }
  } catch (e) {
    emit("download_pdf", false, errorDetail(e));
  }
}

// 4. Send by the uploaded ids.
async function sendOp(op, call, mediaId) {
  try {
    const res = await call();
    const id = res?.messages?.[0]?.id;
    emit(op, typeof id === "string" && id.startsWith("wamid."), { id, media_id: mediaId });
  } catch (e) {
    emit(op, false, errorDetail(e));
  }
}
if (uploaded.png !== undefined) {
  await sendOp(
    "send_image",
    () => client.messages.sendImage({ phoneNumberId, to: args.to, image: { id: uploaded.png, caption: "pixel" } }),
    uploaded.png,
  );
}
if (uploaded.pdf !== undefined) {
  await sendOp(
    "send_document",
    () =>
      client.messages.sendDocument({
        phoneNumberId,
        to: args.to,
        document: { id: uploaded.pdf, filename: "tiny.pdf" },
      }),
    uploaded.pdf,
  );
}

// 5. Delete: the PNG by id alone, the PDF with phoneNumberId (?phone_number_id=).
const deletes = [
  ["png", { mediaId: uploaded.png }],
  ["pdf", { mediaId: uploaded.pdf, phoneNumberId }],
];
for (const [key, input] of deletes) {
  if (input.mediaId === undefined) continue;
  try {
    const res = await client.media.delete(input);
    emit(`delete_${key}`, res?.success === true, res);
  } catch (e) {
    emit(`delete_${key}`, false, errorDetail(e));
  }
}

// 6. A second GET of each deleted id fails with Graph code 100.
for (const [key, input] of deletes) {
  if (input.mediaId === undefined) continue;
  try {
    const info = await client.media.get({ mediaId: input.mediaId });
    emit(`get_deleted_${key}`, false, { unexpected: "still readable", info });
  } catch (e) {
    emit(`get_deleted_${key}`, e instanceof GraphApiError && e.code === 100, errorDetail(e));
  }
}

// 7. The download URL handed out before the delete serves nothing any more.
if (infos.png?.url) {
  try {
    const res = await client.rawFetch(infos.png.url);
    const text = await res.text();
    emit("download_deleted", res.status === 404, { status: res.status, body: text.slice(0, 300) });
  } catch (e) {
    emit("download_deleted", false, errorDetail(e));
  }
}

// 8. PNG bytes declared as a JPEG: refused with Graph code 100.
try {
  const res = await client.media.upload({
    phoneNumberId,
    type: "image/jpeg",
    file: new Blob([png], { type: "image/jpeg" }),
    fileName: "photo.jpg",
  });
  emit("upload_mismatch", false, { unexpected: "accepted", ...res });
} catch (e) {
  emit("upload_mismatch", e instanceof GraphApiError && e.code === 100, errorDetail(e));
}
