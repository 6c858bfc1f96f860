// Meta's side of the conversation, for the browser tests: signed webhooks into the server, and
// what the server sent to the fake Graph API.
import { expect, type APIRequestContext } from "@playwright/test";
import * as crypto from "node:crypto";

const APP_SECRET = "e2e-app-secret";
const GRAPH = `http://127.0.0.1:${Number(process.env.E2E_GRAPH_PORT ?? 3108)}`;

function envelope(value: object) {
  return {
    object: "whatsapp_business_account",
    entry: [{ id: "204815162342108", changes: [{ field: "messages", value }] }],
  };
}

/** Posts a webhook body as Meta does: the exact bytes, signed with the app secret. */
export async function deliver(request: APIRequestContext, value: object) {
  const body = JSON.stringify(envelope({ messaging_product: "whatsapp", ...value }));
  const signature = crypto.createHmac("sha256", APP_SECRET).update(body).digest("hex");
  const res = await request.post("/api/webhook/whatsapp", {
    headers: { "content-type": "application/json", "x-hub-signature-256": `sha256=${signature}` },
    data: body,
  });
  expect(res.status(), await res.text()).toBe(200);
}

let sequence = 0;

/** A text from a customer; `secondsAgo` back-dates it (the 24-hour window follows it). */
export async function customerWrites(
  request: APIRequestContext,
  customer: { waId: string; name: string },
  text: string,
  secondsAgo = 0,
) {
  sequence += 1;
  const at = Math.floor(Date.now() / 1000) - secondsAgo;
  await deliver(request, {
    contacts: [{ profile: { name: customer.name }, wa_id: customer.waId }],
    messages: [
      { from: customer.waId, id: `wamid.in.${customer.waId}.${at}.${sequence}`, timestamp: String(at), type: "text", text: { body: text } },
    ],
  });
}

/** A delivery status for a message the server sent. */
export async function statusUpdate(request: APIRequestContext, wamid: string, status: string, to: string) {
  const at = Math.floor(Date.now() / 1000);
  await deliver(request, {
    statuses: [{ id: wamid, status, timestamp: String(at), recipient_id: to }],
  });
}

type Sent = { to?: string; type?: string; text?: { body: string }; template?: { name: string }; status?: string };

/** Everything the server sent to the fake Graph API so far. */
export async function sentToWhatsApp(request: APIRequestContext): Promise<Sent[]> {
  const res = await request.get(`${GRAPH}/_requests`);
  return res.json();
}

/** The wamid the fake gave the `n`-th message send (1-based, counting only sends). */
export async function wamidOf(request: APIRequestContext, match: (s: Sent) => boolean): Promise<string> {
  const sends = (await sentToWhatsApp(request)).filter((s) => s.status !== "read");
  const index = sends.findIndex(match);
  expect(index, "the message reached the fake Graph API").toBeGreaterThanOrEqual(0);
  return `wamid.e2e.${index + 1}`;
}
