// Meta's Graph API for the browser tests: a real HTTP server on its own port that accepts
// sends the way Meta does (a wamid for each message) and records them, so a test can read
// what the dashboard sent (GET /_requests). Like Meta, it refuses any token but TOKEN (the one
// the suite saves in Settings) with error 190.
import * as crypto from "node:crypto";
import * as http from "node:http";

export const GRAPH_PORT = Number(process.env.E2E_GRAPH_PORT ?? 3108);
export const TOKEN = "e2e-access-token";
const PHONE_ID = "301122334455667";

/** Files customers "send" (media ids → type and bytes), downloadable as Meta serves them. */
export const MEDIA: Record<string, { mime: string; body: string }> = {
  // A web page that runs script: opened on the dashboard's origin it would act as the owner.
  "e2e-html-document": {
    mime: "text/html",
    body: "<!doctype html><title>invoice</title><script>document.title = 'pwned'; fetch('/api/auth/logout', {method: 'POST'});</script><h1>Invoice</h1>",
  },
};

const invalidToken = JSON.stringify({
  error: { message: "Invalid OAuth access token - Cannot parse access token", type: "OAuthException", code: 190 },
});

export default async function globalSetup() {
  const received: unknown[] = [];
  let next = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.setHeader("content-type", "application/json");
      if (req.method === "GET" && req.url === "/_requests") {
        res.end(JSON.stringify(received));
        return;
      }
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.statusCode = 401;
        res.end(invalidToken);
        return;
      }
      if (req.method === "GET" && req.url?.match(new RegExp(`^/v[0-9.]+/${PHONE_ID}\\?`))) {
        res.end(
          JSON.stringify({ display_phone_number: "+1 555-010-0199", verified_name: "Café Lima", quality_rating: "GREEN", id: PHONE_ID }),
        );
        return;
      }
      const lookup = req.url?.match(/^\/v[0-9.]+\/([a-z0-9-]+)$/);
      if (req.method === "GET" && lookup && MEDIA[lookup[1]]) {
        const file = MEDIA[lookup[1]];
        res.end(
          JSON.stringify({
            messaging_product: "whatsapp",
            url: `http://127.0.0.1:${GRAPH_PORT}/files/${lookup[1]}`,
            mime_type: file.mime,
            sha256: crypto.createHash("sha256").update(file.body).digest("hex"),
            file_size: Buffer.byteLength(file.body),
            id: lookup[1],
          }),
        );
        return;
      }
      const download = req.url?.match(/^\/files\/([a-z0-9-]+)$/);
      if (req.method === "GET" && download && MEDIA[download[1]]) {
        res.setHeader("content-type", MEDIA[download[1]].mime);
        res.end(MEDIA[download[1]].body);
        return;
      }
      if (req.method === "POST" && req.url?.endsWith("/messages")) {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        received.push(body);
        if (body.status === "read") {
          res.end(JSON.stringify({ success: true }));
          return;
        }
        next += 1;
        res.end(
          JSON.stringify({
            messaging_product: "whatsapp",
            contacts: [{ input: body.to, wa_id: body.to }],
            messages: [{ id: `wamid.e2e.${next}` }],
          }),
        );
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { message: "not faked", code: 100 } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(GRAPH_PORT, "127.0.0.1", resolve));
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
