// Verifies webhook deliveries with the official @clerk/backend verifyWebhook and prints
// JSON. Standard input: a JSON array of {secret, body, headers}; each is turned into a
// Fetch API Request, as a receiving route would get it.
import { verifyWebhook } from "@clerk/backend/webhooks";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const deliveries = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const results = [];
for (const { secret, body, headers } of deliveries) {
  const request = new Request("http://127.0.0.1/webhooks", { method: "POST", headers, body });
  try {
    const event = await verifyWebhook(request, { signingSecret: secret });
    results.push({ ok: true, type: event.type, instanceId: event.instance_id, data: event.data });
  } catch (error) {
    results.push({ ok: false, error: String(error?.message ?? error) });
  }
}
console.log(JSON.stringify(results));
