import * as oidc from 'openid-client';
import { adminToken, api } from '../../support/http';
import { TestBrowser } from '../../support/browser';
import type { startTestRuntime } from '../../support/local-runtime';

/**
 * What every interactive-login test needs: an application with its login and consent pages, the
 * delegated IDP connection assigned to it, an application backend (a service account holding
 * LOGIN_REQUESTS_ACCEPT) and helpers that play the browser and the backend.
 */

export type Runtime = Awaited<ReturnType<typeof startTestRuntime>>;
export type Api = ReturnType<typeof api>;

export const LOGIN_URL = 'https://app.example.com/login';
export const CONSENT_URL = 'https://app.example.com/consent';

export interface World {
  readonly runtime: Runtime;
  readonly admin: Api;
  readonly backend: Api;
  readonly applicationId: string;
  accountWith(permissions: string[]): Promise<Api>;
  createClient(settings: Record<string, unknown>): Promise<{ clientId: string; clientSecret: string; id: string }>;
}

export async function setUpWorld(runtime: Runtime): Promise<World> {
  const admin = api(runtime.url, await adminToken(runtime));
  const accountWith = async (permissions: string[]) => {
    const account = await admin.post('/v1/service-accounts', { name: `holds ${permissions.join(' ') || 'nothing'}` });
    await admin.put(`/v1/service-accounts/${account.body.id}/permissions`, { grants: [{ resource: 'latchkey', permissions }] });
    return api(runtime.url, await adminToken(runtime, account.body));
  };
  const application = await admin.post('/v1/applications', { name: 'Storefront', loginUrl: LOGIN_URL, consentUrl: CONSENT_URL });
  if (application.status !== 201) throw new Error(JSON.stringify(application.body));
  const applicationId = application.body.id as string;
  const connection = await admin.post('/v1/idp-connections', { type: 'delegated', enabled: true });
  await admin.patch(`/v1/idp-connections/${connection.body.id}`, { applicationIds: [applicationId] });
  const backend = await accountWith(['LOGIN_REQUESTS_ACCEPT']);
  const createClient = async (settings: Record<string, unknown>) => {
    const created = await admin.post(`/v1/applications/${applicationId}/clients`, { name: 'Relying party', ...settings });
    if (created.status !== 201) throw new Error(JSON.stringify(created.body));
    return created.body as { clientId: string; clientSecret: string; id: string };
  };
  return { runtime, admin, backend, applicationId, accountWith, createClient };
}

/** openid-client's configuration from discovery; http is allowed only because the local runtime serves it. */
export function discover(runtime: Runtime, clientId: string, clientSecret?: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(runtime.url), clientId, undefined, clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** The challenge named in a redirect to the application's login or consent page. */
export function challengeIn(location: string | undefined, page: string, name: 'login_challenge' | 'consent_challenge'): string {
  if (!location?.startsWith(`${page}?`)) throw new Error(`expected a redirect to ${page}, got ${location}`);
  return new URL(location).searchParams.get(name)!;
}

/** The application's backend accepts the login; the browser follows the answer back to the client. */
export async function acceptLogin(
  world: World,
  browser: TestBrowser,
  challenge: string,
  subject: Record<string, unknown> = { subjectId: 'alice-1', email: 'alice@example.com', name: 'Alice' },
) {
  const accepted = await world.backend.post(`/v1/login-requests/${encodeURIComponent(challenge)}/accept`, subject);
  if (accepted.status !== 200) throw new Error(JSON.stringify(accepted.body));
  return browser.visit(accepted.body.redirectTo);
}

export { oidc, TestBrowser };

/**
 * One end user logged in through the whole code flow with PKCE: the browser goes to the login page,
 * the backend accepts `subject`, openid-client redeems the code. The browser keeps its session cookie.
 */
export async function logIn(
  world: World,
  config: oidc.Configuration,
  options: { redirectUri: string; scope?: string; subject?: Record<string, unknown>; browser?: TestBrowser },
): Promise<{ tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>; browser: TestBrowser }> {
  const browser = options.browser ?? new TestBrowser(world.runtime.url);
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: options.redirectUri,
    scope: options.scope ?? 'openid offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const challenge = challengeIn((await browser.visit(url.href)).location, LOGIN_URL, 'login_challenge');
  const callback = await acceptLogin(world, browser, challenge, options.subject ?? { subjectId: 'alice-1', remember: true });
  const tokens = await oidc.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: verifier });
  return { tokens, browser };
}
