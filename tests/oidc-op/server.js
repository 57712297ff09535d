// TEST ONLY. A real OpenID Provider (panva's `oidc-provider`, certified OpenID implementation)
// configured the way a SPID / CIE id OP behaves towards a relying party:
//
//   * request objects required and signed (RS256) by the RP;
//   * PKCE (S256) required;
//   * token endpoint authentication `private_key_jwt` only;
//   * `acr` values https://www.spid.gov.it/SpidL1..3, always in the ID token;
//   * pairwise (opaque) `sub`; the codice fiscale only as the claim
//     https://attributes.eid.gov.it/fiscal_number = "TINIT-<codice fiscale>";
//   * UserInfo as a signed-then-encrypted JWT (RS256, then RSA-OAEP-256 + A256CBC-HS512);
//   * `iss` in the authorization response (RFC 9207).
//
// Not reproduced: OpenID Federation (entity configurations, trust chains, trust marks):
// the two RP clients are registered statically with the RP's test public keys.
//
// The login step is the only test knob: instead of a form, GET /interaction/<uid> takes
// query parameters chosen by the test (who authenticates and at which level), then the
// real provider finishes the flow exactly as after a form. `forge=aud` or `forge=nonce`
// make this OP misbehave for that account: the ID token it returns is re-signed with its own
// key for the OTHER registered client, or with another nonce, to show that the RP checks.
//
//     PORT=0 node server.js      # prints "listening <issuer>" when ready

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider from 'oidc-provider';

const here = dirname(fileURLToPath(import.meta.url));
const FISCAL = 'https://attributes.eid.gov.it/fiscal_number';
const ACR = (level) => `https://www.spid.gov.it/${level}`;
export const CLIENT_A = 'https://sportello-a.test/';
export const CLIENT_B = 'https://sportello-b.test/';

function rpPublicJwk(file, use, alg) {
  const jwk = createPublicKey(readFileSync(join(here, 'keys', file))).export({ format: 'jwk' });
  // RFC 7638 thumbprint, as Sportello names its keys.
  const kid = createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n })).digest('base64url');
  return { ...jwk, use, alg, kid };
}

// The OP's own signing key: fresh at every start.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const opJwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: `op-${randomUUID().slice(0, 8)}` };

const rpKeys = [
  rpPublicJwk('TEST-ONLY-rp-signing.pem', 'sig', 'RS256'),
  rpPublicJwk('TEST-ONLY-rp-encryption.pem', 'enc', 'RSA-OAEP-256'),
];

const client = (clientId) => ({
  client_id: clientId,
  // Native + loopback: RFC 8252 lets the port vary, and each test server has its own port.
  // A real SPID/CIE registration is `web` with the exact https redirect URI.
  application_type: 'native',
  redirect_uris: ['http://127.0.0.1/accedi/oidc/callback'],
  response_types: ['code'],
  grant_types: ['authorization_code'],
  token_endpoint_auth_method: 'private_key_jwt',
  token_endpoint_auth_signing_alg: 'RS256',
  request_object_signing_alg: 'RS256',
  id_token_signed_response_alg: 'RS256',
  userinfo_signed_response_alg: 'RS256',
  userinfo_encrypted_response_alg: 'RSA-OAEP-256',
  userinfo_encrypted_response_enc: 'A256CBC-HS512',
  subject_type: 'pairwise',
  jwks: { keys: rpKeys },
});

const pairwise = (accountId, c) => createHash('sha256').update(`${c.sectorIdentifier}|${accountId}|test-salt`).digest('hex');

// Accounts exist once the test has "authenticated" them; the id is opaque, like the OP's.
const accounts = new Map();

const port = Number(process.env.PORT ?? 0);
const server = http.createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [client(CLIENT_A), client(CLIENT_B)],
  jwks: { keys: [opJwk] },
  cookies: { keys: ['TEST-ONLY-cookie-key-not-a-secret'] },
  acrValues: ['SpidL1', 'SpidL2', 'SpidL3'].map(ACR),
  claims: {
    openid: ['sub'],
    profile: ['given_name', 'family_name', FISCAL],
  },
  subjectTypes: ['public', 'pairwise'],
  pairwiseIdentifier: async (_ctx, accountId, c) => pairwise(accountId, c),
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    requestObjects: { enabled: true, requireSignedRequestObject: true },
    claimsParameter: { enabled: true },
    encryption: { enabled: true },
    jwtUserinfo: { enabled: true },
    userinfo: { enabled: true },
  },
  enabledJWA: {
    userinfoEncryptionAlgValues: ['RSA-OAEP', 'RSA-OAEP-256'],
    userinfoEncryptionEncValues: ['A128CBC-HS256', 'A256CBC-HS512'],
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    const account = accounts.get(id);
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          given_name: account.given,
          family_name: account.family,
          [FISCAL]: `TINIT-${account.cf}`,
        };
      },
    };
  },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
  renderError(ctx, out) {
    ctx.type = 'text/plain';
    ctx.body = `${out.error}: ${out.error_description ?? ''}`;
  },
});

// Why the provider refused something, for target/oidc-provider.log.
for (const event of ['authorization.error', 'grant.error', 'userinfo.error', 'server_error']) {
  provider.on(event, (_ctx, err) => console.error(`${event}: ${err.error ?? ''} ${err.error_description ?? ''} ${err.message}`));
}

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

// The misbehaving knobs: re-sign the ID token, with the OP's own key, for the other client
// (`forge=aud`) or with another nonce (`forge=nonce`).
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token) return;
  const [, payload] = ctx.body.id_token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const account = [...accounts.values()].find((a) => a.forge && a.subs.has(claims.sub));
  if (!account) return;
  const forged = { ...claims };
  if (account.forge === 'aud') {
    const other = claims.aud === CLIENT_A ? CLIENT_B : CLIENT_A;
    Object.assign(forged, { aud: other, azp: other });
  } else if (account.forge === 'nonce') {
    forged.nonce = `forged-${randomUUID()}`;
  }
  const data = `${b64({ alg: 'RS256', typ: 'JWT', kid: opJwk.kid })}.${b64(forged)}`;
  const signature = sign('sha256', Buffer.from(data), createPrivateKey({ key: opJwk, format: 'jwk' }));
  ctx.body = { ...ctx.body, id_token: `${data}.${signature.toString('base64url')}` };
});

async function interact(req, res, url) {
  const details = await provider.interactionDetails(req, res);
  const cf = url.searchParams.get('cf');
  if (!cf) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end('test OP: say who logs in with ?cf=<codice fiscale>&acr=SpidL2');
    return;
  }
  const accountId = createHash('sha256').update(`account|${cf}`).digest('hex').slice(0, 32);
  const previous = accounts.get(accountId);
  const account = {
    cf,
    given: url.searchParams.get('given') ?? 'Mario',
    family: url.searchParams.get('family') ?? 'Rossi',
    forge: url.searchParams.get('forge'),
    subs: previous?.subs ?? new Set(),
  };
  accounts.set(accountId, account);
  const clientId = details.params.client_id;
  const oidcClient = await provider.Client.find(clientId);
  account.subs.add(pairwise(accountId, oidcClient));
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  grant.addOIDCClaims(['sub', 'given_name', 'family_name', FISCAL]);
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    {
      login: { accountId, acr: ACR(url.searchParams.get('acr') ?? 'SpidL2'), amr: ['pwd'] },
      consent: { grantId },
    },
    { mergeWithLastSubmission: false },
  );
}

const callback = provider.callback();
server.on('request', (req, res) => {
  const url = new URL(req.url, issuer);
  if (req.method === 'GET' && /^\/interaction\/[\w-]+$/.test(url.pathname)) {
    interact(req, res, url).catch((err) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`test OP interaction failed: ${err.message}`);
    });
    return;
  }
  callback(req, res);
});

console.log(`listening ${issuer}`);
