import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConsole } from '../../console/build';
import { REPOSITORY_ROOT } from '../../local/runtime';
import { startTestRuntime } from '../support/local-runtime';
import { launchChromium } from './chromium';
import { createResource, createServiceAccount, openSection, signIn } from './console-driver';

/**
 * `npm run console:screenshots`: the console's main pages, driven in Chromium against a fresh local
 * runtime, into docs/console/*.png (embedded in docs/console.md). Small viewport, small files.
 */

const out = join(REPOSITORY_ROOT, 'docs/console');
mkdirSync(out, { recursive: true });
const consoleDir = mkdtempSync(join(tmpdir(), 'latchkey-console-shots-'));
await buildConsole(consoleDir);
const runtime = await startTestRuntime(undefined, { consoleDir });
const browser = await launchChromium({ width: 1000, height: 680 });
try {
  const page = await browser.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  const shot = (name: string) => page.screenshot({ path: join(out, `${name}.png`) });

  await page.goto(`${runtime.url}/console/`);
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  await shot('sign-in');
  await signIn(page, runtime.url, runtime.devAdmin.clientId, runtime.devAdmin.clientSecret);
  await createResource(page, 'orders', ['orders.read', 'orders.write']);
  await shot('resources');
  await createServiceAccount(page, 'billing');
  await shot('service-account-created');
  await page.getByRole('button', { name: 'I have stored it' }).click();
  await page.getByRole('link', { name: 'billing' }).click();
  await page.getByRole('checkbox', { name: 'orders: orders.read' }).check();
  await page.getByRole('button', { name: 'Save permissions' }).click();
  const mint = page.getByRole('form', { name: 'Mint a test token' });
  await mint.getByLabel('Resource').selectOption('orders');
  await mint.getByRole('button', { name: 'Mint token' }).click();
  await page.getByLabel('Token claims').waitFor();
  await page.getByRole('heading', { name: 'Permissions' }).scrollIntoViewIfNeeded();
  await shot('service-account');

  await openSection(page, 'Applications');
  const app = page.getByRole('form', { name: 'Create an application' });
  await app.getByLabel('Name', { exact: true }).fill('Storefront');
  await app.getByRole('button', { name: 'Create application' }).click();
  await page.getByRole('heading', { level: 1, name: 'Application Storefront' }).waitFor();
  const client = page.getByRole('form', { name: 'Create an OIDC client' });
  await client.getByLabel('Client name').fill('web');
  await client.getByLabel('Redirect URIs (one per line)').fill('http://shop.example.com/callback');
  await client.locator('.field-error').waitFor();
  await client.scrollIntoViewIfNeeded();
  await shot('oidc-client-redirect-check');

  const token = (await (
    await fetch(`${runtime.url}/oauth/v2/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: runtime.devAdmin.clientId, client_secret: runtime.devAdmin.clientSecret }),
    })
  ).json()) as { access_token: string };
  await openSection(page, 'Token inspector');
  await page.getByLabel('JWT').fill(token.access_token);
  await page.getByRole('button', { name: 'Verify signature' }).click();
  await page.getByRole('status').filter({ hasText: 'Signature valid' }).waitFor();
  await shot('token-inspector');
  console.log(`screenshots in ${out}`);
} finally {
  await browser.close();
  await runtime.stop();
  rmSync(consoleDir, { recursive: true, force: true });
}
