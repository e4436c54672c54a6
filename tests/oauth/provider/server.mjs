// A real OpenID Provider for the tests: oidc-provider (pinned in package.json) on 127.0.0.1.
//
// Started by tests/oauth/openid_provider.py. It listens on a free port, then prints one JSON
// line, {"issuer": "http://127.0.0.1:<port>"}, once it answers. What it knows comes from the
// environment as JSON:
//   OP_CLIENTS   the registered clients (client_id, client_secret, redirect_uris, ...)
//   OP_ACCOUNTS  {"<account id>": {"password": "...", "claims": {...}}}
//   OP_ACCESS_TOKEN_TTL  seconds an access token lives (default 3600)
//
// Its login and consent pages are plain HTML forms, so a test can drive them with HTTP
// (POST /interaction/<uid>/login, then /interaction/<uid>/confirm) or with Chromium
// (fill "login" and "password", press the button). /interaction/<uid>/abort refuses.

import { createServer } from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

const clients = JSON.parse(process.env.OP_CLIENTS ?? '[]');
const accounts = JSON.parse(process.env.OP_ACCOUNTS ?? '{}');
const accessTokenTtl = Number(process.env.OP_ACCESS_TOKEN_TTL ?? '3600');

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>`
    + `</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

function loginPage(uid, clientId, failed) {
  const notice = failed ? '<p role="alert">Wrong login or password.</p>' : '';
  return page('Sign in to the test provider', `${notice}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
  <p>Signing in to ${escapeHtml(clientId)}</p>
  <label>Login <input name="login" autocomplete="username" autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button>Cancel</button></form>`);
}

function consentPage(uid, clientId, scopes) {
  return page('Allow access', `
<p>${escapeHtml(clientId)} asks for: ${escapeHtml(scopes.join(' '))}</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/confirm">
  <button type="submit">Allow</button>
</form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button>Deny</button></form>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

async function confirmConsent(provider, details) {
  const { prompt: { details: missing }, params, session } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return { consent: { grantId: await grant.save() } };
}

async function interaction(provider, req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
  const clientId = details.params.client_id;
  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'login') return sendHtml(res, 200, loginPage(uid, clientId, false));
    const scopes = details.prompt.details.missingOIDCScope ?? [];
    return sendHtml(res, 200, consentPage(uid, clientId, scopes));
  }
  if (req.method !== 'POST') return sendHtml(res, 405, page('Method not allowed', ''));
  const form = await readForm(req);
  if (action === 'login') {
    const account = accounts[form.get('login') ?? ''];
    if (!account || account.password !== form.get('password')) {
      return sendHtml(res, 200, loginPage(uid, clientId, true));
    }
    const result = { login: { accountId: form.get('login') } };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  if (action === 'confirm') {
    const result = await confirmConsent(provider, details);
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
  }
  if (action === 'abort') {
    const result = { error: 'access_denied', error_description: 'The user said no.' };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  return sendHtml(res, 404, page('Not found', ''));
}

function configuration() {
  return {
    clients,
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, found) => `/interaction/${found.uid}` },
    pkce: { required: () => true },
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'picture', 'preferred_username'],
    },
    ttl: { AccessToken: accessTokenTtl },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    async findAccount(_ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account.claims }) };
    },
  };
}

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration());
  const callback = provider.callback();
  server.on('request', async (req, res) => {
    const match = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/.exec(req.url ?? '');
    if (!match) return callback(req, res);
    try {
      return await interaction(provider, req, res, match[1], match[2]);
    } catch (err) {
      return sendHtml(res, 400, page('Sign-in failed', `<p>${escapeHtml(err.message)}</p>`));
    }
  });
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
