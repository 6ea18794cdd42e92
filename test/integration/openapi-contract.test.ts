import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROUTE, operations } from '../../lib/routes';
import { REPOSITORY_ROOT } from '../../local/runtime';
import { samlSigningCertificate } from '../support/certificates';
import { adminToken, api } from '../support/http';
import { samlifyIdentityProvider } from '../support/samlify-idp';
import { startTestRuntime } from '../support/local-runtime';
import { openApiValidator, type HttpAnswer } from '../support/openapi-validator';
import { CONSENT_URL, LOGIN_URL, challengeIn, setUpWorld, TestBrowser, type Api, type World } from './interactive-login/setup';

/**
 * The contract test: every route of the route table is called on the local runtime, as a client
 * would, and each real answer is checked against the schema docs/openapi.json documents for its
 * status and media type. An operation without a sample request here fails the test, so a new route
 * is described and exercised before it lands. Samples also provoke at least one error of each
 * surface: problem+json, RFC 6749, GraphQL, the browser pages, the catch-all route and API Gateway.
 */

const document = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'docs/openapi.json'), 'utf8')) as object;
const { problemsOf, problemsOfComponent } = openApiValidator(document);

const REDIRECT_URI = 'https://rp.example.com/callback';
const POST_LOGOUT_URI = 'https://rp.example.com/signed-out';

/** One call of a sample: the route it targets (as in the route table) and what came back. */
interface Called {
  readonly route: string;
  readonly answer: HttpAnswer;
}

interface Context {
  readonly url: string;
  readonly world: World;
  readonly admin: Api;
  readonly basic: string;
  /** Ids made by earlier samples, for the ones after. */
  readonly ids: Record<string, string>;
}

async function call(url: string, method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}): Promise<HttpAnswer> {
  const response = await fetch(`${url}${path}`, { method, redirect: 'manual', headers: init.headers, body: init.body });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

const json = (answer: HttpAnswer) => JSON.parse(answer.text) as any;
const basicOf = (clientId: string, secret: string) => `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

/** A management call with the administrator's token. */
function management(context: Context, method: string, path: string, body?: unknown): Promise<HttpAnswer> {
  const headers: Record<string, string> = { authorization: context.ids.adminBearer! };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return call(context.url, method, path, { headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) });
}

/** Management samples: `route` of the route table, then the concrete path and body to send. */
function managed(route: string, path: (ids: Record<string, string>) => string, body?: unknown, keep?: (answer: any, ids: Record<string, string>) => void) {
  return async (context: Context): Promise<Called[]> => {
    const [method] = route.split(' ') as [string];
    const answer = await management(context, method, path(context.ids), body);
    if (keep && answer.status < 300) keep(json(answer), context.ids);
    return [{ route, answer }];
  };
}

/** Starts an authorization request of `clientId` and answers the redirect (to the login page). */
async function startAuthorization(context: Context, clientId: string, browser: TestBrowser, scope = 'openid profile email offline_access') {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope,
    state: 'state-1',
    nonce: 'nonce-1',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  const visit = await browser.visit(`${context.url}/oauth/v2/authorize?${query}`);
  return { verifier, visit, challenge: challengeIn(visit.location, LOGIN_URL, 'login_challenge') };
}

type Sample = (context: Context) => Promise<Called[]>;

/**
 * Sample requests by operation name, run in this order (later samples use what earlier ones made).
 * The route-table test below fails for an operation that has none.
 */
const SAMPLES: Record<string, Sample> = {
  'get-openid-configuration': async ({ url }) => [{ route: 'GET /.well-known/openid-configuration', answer: await call(url, 'GET', '/.well-known/openid-configuration') }],
  'get-authorization-server-metadata': async ({ url }) => [
    { route: 'GET /.well-known/oauth-authorization-server', answer: await call(url, 'GET', '/.well-known/oauth-authorization-server') },
  ],
  'get-jwks': async ({ url }) => [
    { route: 'GET /.well-known/jwks.json', answer: await call(url, 'GET', '/.well-known/jwks.json') },
    { route: 'GET /oauth/v2/keys', answer: await call(url, 'GET', '/oauth/v2/keys') },
  ],
  'get-openapi': async ({ url }) => [{ route: 'GET /openapi.json', answer: await call(url, 'GET', '/openapi.json') }],
  token: async ({ url, basic }) => [
    {
      route: 'POST /oauth/v2/token',
      answer: await call(url, 'POST', '/oauth/v2/token', { headers: { authorization: basic, 'content-type': FORM }, body: form({ grant_type: 'client_credentials' }) }),
    },
    // RFC 6749 error: a wrong secret.
    {
      route: 'POST /oauth/v2/token',
      answer: await call(url, 'POST', '/oauth/v2/token', {
        headers: { authorization: basicOf('nobody@nowhere', 'wrong'), 'content-type': FORM },
        body: form({ grant_type: 'client_credentials' }),
      }),
    },
  ],
  'create-service-account': managed(
    'POST /v1/service-accounts',
    () => '/v1/service-accounts',
    { name: 'Contract', description: 'made by the contract test' },
    (body, ids) => {
      ids.account = body.id;
    },
  ),
  'list-service-accounts': async (context) => [
    ...(await managed('GET /v1/service-accounts', () => '/v1/service-accounts?limit=1')(context)),
    // problem+json with errors[]: a limit that is not a number.
    ...(await managed('GET /v1/service-accounts', () => '/v1/service-accounts?limit=many')(context)),
  ],
  'get-service-account': managed('GET /v1/service-accounts/{id}', (ids) => `/v1/service-accounts/${ids.account}`),
  'update-service-account': async (context) => [
    ...(await managed('PATCH /v1/service-accounts/{id}', (ids) => `/v1/service-accounts/${ids.account}`, { description: 'changed' })(context)),
    // problem+json naming the unknown field.
    ...(await managed('PATCH /v1/service-accounts/{id}', (ids) => `/v1/service-accounts/${ids.account}`, { colour: 'blue' })(context)),
  ],
  'reset-service-account-secret': managed('POST /v1/service-accounts/{id}/secret', (ids) => `/v1/service-accounts/${ids.account}/secret`, { gracePeriodSeconds: 60 }),
  'get-service-account-permissions': managed('GET /v1/service-accounts/{id}/permissions', (ids) => `/v1/service-accounts/${ids.account}/permissions`),
  'set-service-account-permissions': managed('PUT /v1/service-accounts/{id}/permissions', (ids) => `/v1/service-accounts/${ids.account}/permissions`, {
    grants: [{ resource: 'latchkey', permissions: ['SERVICE_ACCOUNTS_READ'] }],
  }),
  'mint-service-account-token': managed(
    'POST /v1/service-accounts/{id}/access-tokens',
    (ids) => `/v1/service-accounts/${ids.account}/access-tokens`,
    {},
    (body, ids) => {
      ids.minted = body.accessToken;
    },
  ),
  'create-personal-access-token': managed(
    'POST /v1/service-accounts/{id}/personal-access-tokens',
    (ids) => `/v1/service-accounts/${ids.account}/personal-access-tokens`,
    { name: 'ci' },
    (body, ids) => {
      ids.pat = body.id;
      ids.patToken = body.token;
    },
  ),
  'list-personal-access-tokens': managed('GET /v1/service-accounts/{id}/personal-access-tokens', (ids) => `/v1/service-accounts/${ids.account}/personal-access-tokens`),
  'get-personal-access-token': managed(
    'GET /v1/service-accounts/{id}/personal-access-tokens/{patId}',
    (ids) => `/v1/service-accounts/${ids.account}/personal-access-tokens/${ids.pat}`,
  ),
  introspect: async ({ url, basic, ids }) => [
    {
      route: 'POST /oauth/v2/introspect',
      answer: await call(url, 'POST', '/oauth/v2/introspect', { headers: { authorization: basic, 'content-type': FORM }, body: form({ token: ids.patToken! }) }),
    },
    // RFC 6749 error: no token.
    { route: 'POST /oauth/v2/introspect', answer: await call(url, 'POST', '/oauth/v2/introspect', { headers: { authorization: basic, 'content-type': FORM }, body: '' }) },
  ],
  revoke: async ({ url, basic, ids }) => [
    {
      route: 'POST /oauth/v2/revoke',
      answer: await call(url, 'POST', '/oauth/v2/revoke', { headers: { authorization: basic, 'content-type': FORM }, body: form({ token: ids.minted! }) }),
    },
  ],
  'delete-personal-access-token': managed(
    'DELETE /v1/service-accounts/{id}/personal-access-tokens/{patId}',
    (ids) => `/v1/service-accounts/${ids.account}/personal-access-tokens/${ids.pat}`,
  ),
  'create-service-account-key': managed(
    'POST /v1/service-accounts/{id}/keys',
    (ids) => `/v1/service-accounts/${ids.account}/keys`,
    {},
    (body, ids) => {
      ids.key = body.id;
    },
  ),
  'list-service-account-keys': managed('GET /v1/service-accounts/{id}/keys', (ids) => `/v1/service-accounts/${ids.account}/keys`),
  'get-service-account-key': managed('GET /v1/service-accounts/{id}/keys/{keyId}', (ids) => `/v1/service-accounts/${ids.account}/keys/${ids.key}`),
  'delete-service-account-key': managed('DELETE /v1/service-accounts/{id}/keys/{keyId}', (ids) => `/v1/service-accounts/${ids.account}/keys/${ids.key}`),
  'delete-service-account': managed('DELETE /v1/service-accounts/{id}', (ids) => `/v1/service-accounts/${ids.account}`),

  'list-resources': managed('GET /v1/resources', () => '/v1/resources'),
  'create-resource': managed('POST /v1/resources', () => '/v1/resources', { key: 'orders', name: 'Orders', permissions: ['ORDERS_READ'] }),
  'get-resource': managed('GET /v1/resources/{key}', () => '/v1/resources/orders'),
  'update-resource': managed('PATCH /v1/resources/{key}', () => '/v1/resources/orders', { description: 'the order book' }),
  'delete-resource': async (context) => [
    ...(await managed('DELETE /v1/resources/{key}', () => '/v1/resources/orders')(context)),
    // problem+json 404: gone.
    ...(await managed('DELETE /v1/resources/{key}', () => '/v1/resources/orders')(context)),
  ],
  'get-environment': managed('GET /v1/environment', () => '/v1/environment'),
  'update-environment': managed('PATCH /v1/environment', () => '/v1/environment', { serviceAccountTokenTtlSeconds: 1800 }),

  'create-application': managed(
    'POST /v1/applications',
    () => '/v1/applications',
    { name: 'Contract app', webhook: { target: 'https://hooks.example.com/enrich' } },
    (body, ids) => {
      ids.application = body.id;
    },
  ),
  'list-applications': managed('GET /v1/applications', () => '/v1/applications'),
  'get-application': managed('GET /v1/applications/{id}', (ids) => `/v1/applications/${ids.application}`),
  'update-application': managed('PATCH /v1/applications/{id}', (ids) => `/v1/applications/${ids.application}`, { description: 'changed' }),
  'create-webhook-secret': managed('POST /v1/applications/{id}/webhook-secret', (ids) => `/v1/applications/${ids.application}/webhook-secret`),
  'delete-webhook-secret': managed('DELETE /v1/applications/{id}/webhook-secret', (ids) => `/v1/applications/${ids.application}/webhook-secret`),

  'create-client': async (context) => [
    // problem+json naming the field: a redirect URI with a fragment.
    ...(await managed('POST /v1/applications/{id}/clients', (ids) => `/v1/applications/${ids.application}/clients`, { name: 'Bad', redirectUris: ['https://rp.example.com/cb#x'] })(
      context,
    )),
    ...(await managed(
      'POST /v1/applications/{id}/clients',
      (ids) => `/v1/applications/${ids.application}/clients`,
      { name: 'Relying party', redirectUris: [REDIRECT_URI] },
      (body, ids) => {
        ids.client = body.id;
      },
    )(context)),
  ],
  'list-clients': managed('GET /v1/applications/{id}/clients', (ids) => `/v1/applications/${ids.application}/clients`),
  'get-client': managed('GET /v1/applications/{id}/clients/{clientId}', (ids) => `/v1/applications/${ids.application}/clients/${ids.client}`),
  'update-client': managed('PATCH /v1/applications/{id}/clients/{clientId}', (ids) => `/v1/applications/${ids.application}/clients/${ids.client}`, { description: 'changed' }),
  'rotate-client-secret': managed('POST /v1/applications/{id}/clients/{clientId}/secret', (ids) => `/v1/applications/${ids.application}/clients/${ids.client}/secret`),
  'delete-client': managed('DELETE /v1/applications/{id}/clients/{clientId}', (ids) => `/v1/applications/${ids.application}/clients/${ids.client}`),
  'create-saml-client': managed(
    'POST /v1/applications/{id}/saml-clients',
    (ids) => `/v1/applications/${ids.application}/saml-clients`,
    { name: 'Wiki', acsUrl: 'https://wiki.example.com/saml/acs', spEntityId: 'https://wiki.example.com/saml' },
    (body, ids) => {
      ids.samlClient = body.id;
      ids.samlClientId = body.clientId;
    },
  ),
  'list-saml-clients': managed('GET /v1/applications/{id}/saml-clients', (ids) => `/v1/applications/${ids.application}/saml-clients`),
  'get-saml-client': managed('GET /v1/applications/{id}/saml-clients/{clientId}', (ids) => `/v1/applications/${ids.application}/saml-clients/${ids.samlClient}`),
  'update-saml-client': managed('PATCH /v1/applications/{id}/saml-clients/{clientId}', (ids) => `/v1/applications/${ids.application}/saml-clients/${ids.samlClient}`, {
    nameIdType: 'email',
  }),
  'rotate-saml-certificate': managed(
    'POST /v1/applications/{id}/saml-clients/{clientId}/certificate',
    (ids) => `/v1/applications/${ids.application}/saml-clients/${ids.samlClient}/certificate`,
  ),
  'get-saml-metadata': async ({ url, ids }) => [
    { route: 'GET /saml/{clientId}/metadata', answer: await call(url, 'GET', `/saml/${encodeURIComponent(ids.samlClientId!)}/metadata`) },
    // problem+json 404 on a public route.
    { route: 'GET /saml/{clientId}/metadata', answer: await call(url, 'GET', '/saml/nobody@nowhere/metadata') },
  ],
  'single-sign-on': async ({ url, ids }) => {
    const sso = `/saml/${encodeURIComponent(ids.samlClientId!)}/sso`;
    const authnRequest = (issuer: string) =>
      `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomBytes(8).toString('hex')}" Version="2.0" IssueInstant="${new Date().toISOString()}"><saml:Issuer>${issuer}</saml:Issuer></samlp:AuthnRequest>`;
    const redirect = (xml: string) => `${sso}?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`;
    return [
      { route: 'GET /saml/{clientId}/sso', answer: await call(url, 'GET', redirect(authnRequest('https://wiki.example.com/saml'))) },
      // The browser error page: an issuer that is not the registered SP.
      { route: 'GET /saml/{clientId}/sso', answer: await call(url, 'GET', redirect(authnRequest('https://evil.example.com/saml'))) },
      { route: 'POST /saml/{clientId}/sso', answer: await call(url, 'POST', sso, { headers: { 'content-type': FORM }, body: form({ SAMLRequest: 'not-base64!' }) }) },
    ];
  },
  'delete-saml-client': managed('DELETE /v1/applications/{id}/saml-clients/{clientId}', (ids) => `/v1/applications/${ids.application}/saml-clients/${ids.samlClient}`),
  'delete-application': managed('DELETE /v1/applications/{id}', (ids) => `/v1/applications/${ids.application}`),

  'list-idp-connections': managed(
    'GET /v1/idp-connections',
    () => '/v1/idp-connections',
    undefined,
    (body, ids) => {
      ids.connection = body.items[0].id;
    },
  ),
  'get-idp-connection': managed('GET /v1/idp-connections/{id}', (ids) => `/v1/idp-connections/${ids.connection}`),
  'update-idp-connection': managed('PATCH /v1/idp-connections/{id}', (ids) => `/v1/idp-connections/${ids.connection}`, { name: 'Delegated' }),
  'create-idp-connection': async (context) => [
    // problem+json 409: one delegated connection per environment, and the world has one.
    ...(await managed('POST /v1/idp-connections', () => '/v1/idp-connections', { type: 'delegated' })(context)),
    // An upstream OpenID provider: the answer names the redirect URI and never the secret.
    ...(await managed('POST /v1/idp-connections', () => '/v1/idp-connections', {
      type: 'oidc',
      name: 'Contract IdP',
      issuer: 'https://idp.example.com',
      clientId: 'latchkey',
      clientSecret: 'contract-secret',
      emailDomains: ['contract.example.com'],
    })(context)),
    // An upstream SAML IdP: the answer names the IdP read from its metadata and the SP's URLs.
    ...(await managed(
      'POST /v1/idp-connections',
      () => '/v1/idp-connections',
      {
        type: 'saml',
        name: 'Contract SAML IdP',
        idpMetadataXml: samlifyIdentityProvider({
          entityId: 'https://saml.example.com',
          ssoUrl: 'https://saml.example.com/sso',
          key: await samlSigningCertificate('contract'),
        }).getMetadata(),
        attributeMapping: { email: 'mail' },
      },
      (body, ids) => {
        ids.samlSpMetadata = new URL(body.metadataUrl).pathname;
      },
    )(context)),
  ],
  // The OAuth error of a logout token for a connection that does not exist.
  'upstream-backchannel-logout': async ({ url }) => [
    {
      route: 'POST /oauth/v2/idp/backchannel-logout',
      answer: await call(url, 'POST', `/oauth/v2/idp/backchannel-logout?${new URLSearchParams({ environment: `env_${'a'.repeat(26)}`, connection: `idp_${'a'.repeat(26)}` })}`, {
        headers: { 'content-type': FORM },
        body: form({ logout_token: 'not.a.token' }),
      }),
    },
  ],
  // problem+json 404 on a public route: no SAML connection of that name.
  'get-saml-sp-metadata': async ({ url, ids }) => [
    { route: 'GET /saml/sp/{connectionId}/metadata', answer: await call(url, 'GET', ids.samlSpMetadata!) },
    { route: 'GET /saml/sp/{connectionId}/metadata', answer: await call(url, 'GET', `/saml/sp/idp_${'a'.repeat(26)}@env_${'a'.repeat(26)}/metadata`) },
  ],
  // The browser error page: a RelayState that names no login.
  'consume-saml-response': async ({ url }) => [
    {
      route: 'POST /saml/sp/{connectionId}/acs',
      answer: await call(url, 'POST', `/saml/sp/idp_${'a'.repeat(26)}@env_${'a'.repeat(26)}/acs`, {
        headers: { 'content-type': FORM },
        body: form({ SAMLResponse: 'PHg+', RelayState: 'forged' }),
      }),
    },
  ],
  // The browser error page: a state that names no login.
  'complete-upstream-login': async ({ url }) => [{ route: 'GET /oauth/v2/idp/callback', answer: await call(url, 'GET', '/oauth/v2/idp/callback?state=forged&code=x') }],
  // The browser error page: a request this browser did not start.
  'choose-identity-provider': async ({ url }) => [
    {
      route: 'GET /oauth/v2/idp/login',
      answer: await call(url, 'GET', `/oauth/v2/idp/login?${new URLSearchParams({ environment: `env_${'a'.repeat(26)}`, request: `azr_${'a'.repeat(26)}` })}`),
    },
  ],
  'generate-delegated-access-token': async (context) => {
    const account = await context.world.admin.post('/v1/service-accounts', { name: 'voucher' });
    await context.world.admin.put(`/v1/service-accounts/${account.body.id}/permissions`, { grants: [{ resource: 'latchkey', permissions: ['GENERATE_DELEGATED_ACCESS_TOKEN'] }] });
    const token = await adminToken({ url: context.url, devAdmin: account.body });
    const body = JSON.stringify({ applicationId: context.world.applicationId, subjectId: 'carol-1', email: 'carol@example.com' });
    const answer = await call(context.url, 'POST', '/v1/delegated-access-tokens', { headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    return [{ route: 'POST /v1/delegated-access-tokens', answer }];
  },
  'list-users': managed(
    'GET /v1/users',
    () => '/v1/users',
    undefined,
    (body, ids) => {
      ids.user = body.items[0].id;
    },
  ),
  'get-user': managed('GET /v1/users/{id}', (ids) => `/v1/users/${ids.user}`),
  'list-audit-events': managed('GET /v1/audit-events', () => '/v1/audit-events?limit=5'),
  'verify-audit-chain': managed('GET /v1/audit-events/verify', () => '/v1/audit-events/verify'),
  graphql: async ({ url, world }) => {
    const query = 'mutation Token($input: AuthenticateServiceAccountInput!) { authenticateServiceAccount(input: $input) { accessToken expiresInSeconds tokenType } }';
    const { clientId, clientSecret } = world.runtime.devAdmin;
    const post = (body: string) => call(url, 'POST', '/graphql', { headers: { 'content-type': 'application/json' }, body });
    return [
      { route: 'POST /graphql', answer: await post(JSON.stringify({ query, variables: { input: { clientId, clientSecret } } })) },
      // GraphQL errors[] during execution (200) and for a request that is not GraphQL (400).
      { route: 'POST /graphql', answer: await post(JSON.stringify({ query, variables: { input: { clientId, clientSecret: 'wrong' } } })) },
      { route: 'POST /graphql', answer: await post(JSON.stringify({ notAQuery: true })) },
    ];
  },

  // ---- interactive login: a first-party client's code flow, a third-party client's consent ----
  authorize: async (context) => {
    const rp = await context.world.createClient({ redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [POST_LOGOUT_URI], pkce: 'enforce' });
    context.ids.rpClientId = rp.clientId;
    context.ids.rpBasic = basicOf(rp.clientId, rp.clientSecret);
    const browser = new TestBrowser(context.url);
    const started = await startAuthorization(context, rp.clientId, browser);
    context.ids.loginChallenge = started.challenge;
    context.ids.verifier = started.verifier;
    const post = await call(context.url, 'POST', '/oauth/v2/authorize', {
      headers: { 'content-type': FORM },
      body: form({ response_type: 'code', client_id: rp.clientId, redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }),
    });
    // The browser error page: an unregistered redirect URI is never redirected to.
    const refused = await call(
      context.url,
      'GET',
      `/oauth/v2/authorize?${new URLSearchParams({ response_type: 'code', client_id: rp.clientId, redirect_uri: 'https://evil.example.com/cb' })}`,
    );
    contextBrowsers.set(context, browser);
    return [
      { route: 'GET /oauth/v2/authorize', answer: { status: started.visit.status, contentType: null, text: started.visit.body } },
      { route: 'POST /oauth/v2/authorize', answer: post },
      { route: 'GET /oauth/v2/authorize', answer: refused },
    ];
  },
  'push-authorization-request': async ({ url, ids }) => {
    const push = (fields: Record<string, string>) =>
      call(url, 'POST', '/oauth/v2/par', {
        headers: { authorization: ids.rpBasic!, 'content-type': FORM },
        body: form({ response_type: 'code', redirect_uri: REDIRECT_URI, ...fields }),
      });
    return [
      { route: 'POST /oauth/v2/par', answer: await push({ scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' }) },
      // RFC 6749 error, answered to the client rather than redirected: no PKCE for a client that must use it.
      { route: 'POST /oauth/v2/par', answer: await push({ scope: 'openid' }) },
    ];
  },
  'get-login-request': managed('GET /v1/login-requests/{challenge}', (ids) => `/v1/login-requests/${encodeURIComponent(ids.loginChallenge!)}`),
  'accept-login-request': async (context) => {
    const path = `/v1/login-requests/${encodeURIComponent(context.ids.loginChallenge!)}/accept`;
    const answer = await management(context, 'POST', path, { subjectId: 'alice-1', email: 'alice@example.com', name: 'Alice' });
    const callback = await contextBrowsers.get(context)!.visit(json(answer).redirectTo);
    context.ids.code = new URL(callback.location!).searchParams.get('code')!;
    return [{ route: 'POST /v1/login-requests/{challenge}/accept', answer }];
  },
  userinfo: async (context) => {
    const tokens = await call(context.url, 'POST', '/oauth/v2/token', {
      headers: { authorization: context.ids.rpBasic!, 'content-type': FORM },
      body: form({ grant_type: 'authorization_code', code: context.ids.code!, redirect_uri: REDIRECT_URI, code_verifier: context.ids.verifier! }),
    });
    const { access_token: accessToken, id_token: idToken } = json(tokens);
    context.ids.idToken = idToken;
    return [
      { route: 'POST /oauth/v2/token', answer: tokens },
      { route: 'GET /oauth/v2/userinfo', answer: await call(context.url, 'GET', '/oauth/v2/userinfo', { headers: { authorization: `Bearer ${accessToken}` } }) },
      {
        route: 'POST /oauth/v2/userinfo',
        answer: await call(context.url, 'POST', '/oauth/v2/userinfo', { headers: { 'content-type': FORM }, body: form({ access_token: accessToken }) }),
      },
      // RFC 6750 error: a token that is not one.
      { route: 'GET /oauth/v2/userinfo', answer: await call(context.url, 'GET', '/oauth/v2/userinfo', { headers: { authorization: 'Bearer not-a-token' } }) },
    ];
  },
  'end-session': async (context) => {
    const query = new URLSearchParams({ id_token_hint: context.ids.idToken!, post_logout_redirect_uri: POST_LOGOUT_URI, state: 's' });
    return [
      { route: 'GET /oauth/v2/end_session', answer: await call(context.url, 'GET', `/oauth/v2/end_session?${query}`) },
      { route: 'POST /oauth/v2/end_session', answer: await call(context.url, 'POST', '/oauth/v2/end_session', { headers: { 'content-type': FORM }, body: '' }) },
    ];
  },
  'reject-login-request': async (context) => {
    const started = await startAuthorization(context, context.ids.rpClientId!, new TestBrowser(context.url));
    return managed('POST /v1/login-requests/{challenge}/reject', () => `/v1/login-requests/${encodeURIComponent(started.challenge)}/reject`, { error: 'access_denied' })(context);
  },
  'get-consent-request': async (context) => {
    const partner = await context.world.createClient({ redirectUris: [REDIRECT_URI], thirdParty: true });
    const consentChallenge = async () => {
      const browser = new TestBrowser(context.url);
      const started = await startAuthorization(context, partner.clientId, browser, 'openid profile');
      const accepted = await management(context, 'POST', `/v1/login-requests/${encodeURIComponent(started.challenge)}/accept`, { subjectId: 'bob' });
      return challengeIn((await browser.visit(json(accepted).redirectTo)).location, CONSENT_URL, 'consent_challenge');
    };
    context.ids.consentChallenge = await consentChallenge();
    context.ids.secondConsentChallenge = await consentChallenge();
    return managed('GET /v1/consent-requests/{challenge}', (ids) => `/v1/consent-requests/${encodeURIComponent(ids.consentChallenge!)}`)(context);
  },
  'accept-consent-request': managed('POST /v1/consent-requests/{challenge}/accept', (ids) => `/v1/consent-requests/${encodeURIComponent(ids.consentChallenge!)}/accept`, {
    grantScopes: ['openid'],
  }),
  'reject-consent-request': managed('POST /v1/consent-requests/{challenge}/reject', (ids) => `/v1/consent-requests/${encodeURIComponent(ids.secondConsentChallenge!)}/reject`, {
    error: 'access_denied',
  }),
  // ---- end users' lifecycle, on dana, who logs in for it ----
  'list-user-sessions': async (context) => {
    const browser = new TestBrowser(context.url);
    const started = await startAuthorization(context, context.ids.rpClientId!, browser);
    const accepted = await management(context, 'POST', `/v1/login-requests/${encodeURIComponent(started.challenge)}/accept`, { subjectId: 'dana' });
    await browser.visit(json(accepted).redirectTo);
    const users = await management(context, 'GET', '/v1/users?limit=100');
    context.ids.dana = json(users).items.find((user: { subjectId: unknown }) => user.subjectId === 'dana').id;
    return managed(
      'GET /v1/users/{id}/sessions',
      (ids) => `/v1/users/${ids.dana}/sessions`,
      undefined,
      (body, ids) => {
        ids.danaSession = body.items[0].id;
      },
    )(context);
  },
  'delete-user-session': async (context) => [
    ...(await managed('DELETE /v1/users/{id}/sessions/{sessionId}', (ids) => `/v1/users/${ids.dana}/sessions/${ids.danaSession}`)(context)),
    // problem+json 404: that session has ended.
    ...(await managed('DELETE /v1/users/{id}/sessions/{sessionId}', (ids) => `/v1/users/${ids.dana}/sessions/${ids.danaSession}`)(context)),
  ],
  'delete-user-sessions': managed('DELETE /v1/users/{id}/sessions', (ids) => `/v1/users/${ids.dana}/sessions`),
  'update-user': async (context) => [
    ...(await managed('PATCH /v1/users/{id}', (ids) => `/v1/users/${ids.dana}`, { disabled: true })(context)),
    // problem+json naming the field.
    ...(await managed('PATCH /v1/users/{id}', (ids) => `/v1/users/${ids.dana}`, { disabled: 'yes' })(context)),
  ],
  'delete-user': managed('DELETE /v1/users/{id}', (ids) => `/v1/users/${ids.dana}`),
  'delete-idp-connection': managed('DELETE /v1/idp-connections/{id}', (ids) => `/v1/idp-connections/${ids.connection}`),

  // The catch-all route: checked against the RouteNotFound and MethodNotAllowed components below.
  'route-fallback': async ({ url }) => [
    { route: '$default RouteNotFound', answer: await call(url, 'GET', '/no/such/path') },
    { route: '$default MethodNotAllowed', answer: await call(url, 'DELETE', '/oauth/v2/token') },
  ],
};

const contextBrowsers = new WeakMap<Context, TestBrowser>();

describe('the OpenAPI contract, on the local runtime', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let context: Context;
  const called: Called[] = [];

  beforeAll(async () => {
    // The document's route alone is throttled, burst 1 on a frozen clock, to see API Gateway's own 429.
    runtime = await startTestRuntime(undefined, {
      apiGateway: { throttleOf: (operation) => (operation.name === 'get-openapi' ? { rateLimit: 1, burstLimit: 1 } : undefined), now: () => 0 },
    });
    const world = await setUpWorld(runtime);
    const admin = api(runtime.url, await adminToken(runtime));
    context = {
      url: runtime.url,
      world,
      admin,
      basic: basicOf(runtime.devAdmin.clientId, runtime.devAdmin.clientSecret),
      ids: { adminBearer: `Bearer ${await adminToken(runtime)}` },
    };
  }, 60_000);
  afterAll(() => runtime?.stop());

  it('has a sample request for every operation with routes', () => {
    const routedOperations = operations.filter((operation) => operation.routes.length > 0).map((operation) => operation.name);
    expect(routedOperations.filter((name) => !(name in SAMPLES))).toEqual([]);
    expect(Object.keys(SAMPLES).filter((name) => !routedOperations.includes(name))).toEqual([]);
  });

  it('answers every route of the route table as documented', async () => {
    const problems: string[] = [];
    for (const [name, sample] of Object.entries(SAMPLES)) {
      for (const { route, answer } of await sample(context)) {
        called.push({ route, answer });
        const [method, path] = route.split(' ') as [string, string];
        problems.push(...(method === '$default' ? problemsOfComponent(path, answer) : problemsOf(method, path, answer)).map((problem) => `${name}: ${problem}`));
      }
    }
    expect(problems).toEqual([]);
    // Every route was called, and each sample that means to provoke an error did.
    const routes = operations.flatMap((operation) => operation.routes.filter((route) => route !== DEFAULT_ROUTE).map((route) => `${route.method} ${route.path}`));
    expect(routes.filter((route) => !called.some((call) => call.route === route))).toEqual([]);
    const statuses = (route: string) => called.filter((call) => call.route === route).map((call) => call.answer.status);
    expect(statuses('GET /v1/service-accounts')).toEqual([200, 400]);
    expect(statuses('POST /oauth/v2/token')).toEqual([200, 401, 200]);
    expect(statuses('POST /graphql')).toEqual([200, 200, 400]);
    expect(statuses('GET /saml/{clientId}/metadata')).toEqual([200, 404]);
    expect(statuses('DELETE /v1/service-accounts/{id}/personal-access-tokens/{patId}')).toEqual([204]);
    expect(statuses('POST /v1/applications/{id}/clients')).toEqual([400, 201]);
    expect(statuses('GET /oauth/v2/authorize')).toEqual([303, 400]);
    expect(statuses('$default RouteNotFound')).toEqual([404]);
    expect(statuses('$default MethodNotAllowed')).toEqual([405]);
  }, 120_000);

  it('serves the document of docs/openapi.json at GET /openapi.json, then API Gateway’s 429 as documented', async () => {
    const served = called.find((call) => call.route === 'GET /openapi.json')!.answer;
    expect(served.status).toBe(200);
    expect(JSON.parse(served.text)).toEqual(document);
    const throttled = await call(runtime.url, 'GET', '/openapi.json');
    expect(throttled.status).toBe(429);
    expect(problemsOf('GET', '/openapi.json', throttled)).toEqual([]);
  });

  it('answers a body over 64 KB with a documented problem or RFC 6749 error, and over 10 MB with API Gateway’s documented 413', async () => {
    const large = await management(context, 'POST', '/v1/resources', JSON.stringify({ key: 'big', description: 'x'.repeat(70_000) }));
    expect(large.status).toBe(413);
    expect(problemsOf('POST', '/v1/resources', large)).toEqual([]);
    const largeForm = await call(runtime.url, 'POST', '/oauth/v2/token', {
      headers: { 'content-type': FORM },
      body: form({ grant_type: 'client_credentials', scope: 'x'.repeat(70_000) }),
    });
    expect([largeForm.status, json(largeForm).error]).toEqual([413, 'payload_too_large']);
    expect(problemsOf('POST', '/oauth/v2/token', largeForm)).toEqual([]);
    const huge = await call(runtime.url, 'POST', '/oauth/v2/token', { headers: { 'content-type': FORM }, body: 'a'.repeat(10 * 1024 * 1024 + 1) });
    expect(huge.status).toBe(413);
    expect(json(huge)).toEqual({ message: 'Request Entity Too Large' });
    expect(problemsOf('POST', '/oauth/v2/token', huge)).toEqual([]);
  });

  it('finds an answer that breaks the documented schema, so the checks above can fail', () => {
    const answer: HttpAnswer = { status: 400, contentType: 'application/problem+json', text: JSON.stringify({ title: 'Bad Request', status: 400 }) };
    expect(problemsOf('GET', '/v1/service-accounts', answer).join()).toMatch(/must have required property 'type'/);
    expect(problemsOf('GET', '/v1/service-accounts', { ...answer, status: 418 }).join()).toMatch(/status 418 is not documented/);
    expect(problemsOf('GET', '/v1/service-accounts', { ...answer, contentType: 'text/plain' }).join()).toMatch(/content type text\/plain is not documented/);
    // A created service account must carry its secret, the one time it is shown.
    const account = called.find((call) => call.route === 'POST /v1/service-accounts')!.answer;
    const { clientSecret: _secret, ...withoutSecret } = json(account);
    expect(problemsOf('POST', '/v1/service-accounts', account)).toEqual([]);
    expect(problemsOf('POST', '/v1/service-accounts', { ...account, text: JSON.stringify(withoutSecret) }).join()).toMatch(/must have required property 'clientSecret'/);
    // A read never carries a secret: only the answer that makes it does.
    const read = called.find((call) => call.route === 'GET /v1/service-accounts/{id}')!.answer;
    expect(problemsOf('GET', '/v1/service-accounts/{id}', read)).toEqual([]);
    for (const field of ['clientSecret', 'secretHash']) {
      expect(problemsOf('GET', '/v1/service-accounts/{id}', { ...read, text: JSON.stringify({ ...json(read), [field]: 'lks_leaked' }) }).join()).toMatch(/must NOT be valid/);
    }
    const pats = called.find((call) => call.route === 'GET /v1/service-accounts/{id}/personal-access-tokens')!.answer;
    const leaked = { items: json(pats).items.map((item: object) => ({ ...item, tokenHash: 'abc' })) };
    expect(problemsOf('GET', '/v1/service-accounts/{id}/personal-access-tokens', { ...pats, text: JSON.stringify(leaked) }).join()).toMatch(/must NOT be valid/);
    // A deletion answers no body.
    expect(problemsOf('DELETE', '/v1/resources/{key}', { status: 204, contentType: 'application/json', text: '{}' }).join()).toMatch(/documented without a body/);
  });
});
