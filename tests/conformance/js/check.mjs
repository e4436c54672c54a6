// Runs the official @clerk/backend SDK against a Threshold server and prints JSON.
// Environment: THRESHOLD_API_URL (server base URL, without /v1), THRESHOLD_SECRET_KEY,
// THRESHOLD_TOKEN (a session JWT), THRESHOLD_JWT_KEY (the instance public key, PEM),
// THRESHOLD_USER_ID, THRESHOLD_SESSION_ID.
import { createClerkClient, verifyToken } from "@clerk/backend";

const env = process.env;
const apiUrl = env.THRESHOLD_API_URL;
const secretKey = env.THRESHOLD_SECRET_KEY;
const clerk = createClerkClient({ secretKey, apiUrl });

async function outcome(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, status: error.status ?? null, errors: error.errors ?? String(error) };
  }
}

const users = await clerk.users.getUserList({ limit: 5, orderBy: "-created_at" });
const user = await clerk.users.getUser(env.THRESHOLD_USER_ID);
const sessions = await clerk.sessions.getSessionList({ userId: env.THRESHOLD_USER_ID });
const token = await clerk.sessions.getToken(env.THRESHOLD_SESSION_ID);
const networkless = await verifyToken(env.THRESHOLD_TOKEN, { jwtKey: env.THRESHOLD_JWT_KEY });
const viaJwks = await verifyToken(env.THRESHOLD_TOKEN, { secretKey, apiUrl });
const missing = await outcome(() => clerk.users.getUser("user_2aaaaaaaaaaaaaaaaaaaaaaaaaa"));
const wrongKey = await outcome(() =>
  createClerkClient({ secretKey: "sk_test_wrong", apiUrl }).users.getUserList(),
);

console.log(
  JSON.stringify({
    users: { totalCount: users.totalCount, ids: users.data.map((u) => u.id) },
    user: {
      id: user.id,
      firstName: user.firstName,
      primaryEmail: user.primaryEmailAddress?.emailAddress ?? null,
      createdAt: user.createdAt,
    },
    sessions: { totalCount: sessions.totalCount, ids: sessions.data.map((s) => s.id) },
    tokenSub: (await verifyToken(token.jwt, { jwtKey: env.THRESHOLD_JWT_KEY })).sub,
    networkless: { sub: networkless.sub, sid: networkless.sid },
    viaJwks: { sub: viaJwks.sub, sid: viaJwks.sid },
    missing: { ok: missing.ok, status: missing.status, code: missing.errors?.[0]?.code ?? null },
    wrongKey: { ok: wrongKey.ok, status: wrongKey.status },
  }),
);
