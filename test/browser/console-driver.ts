import type { Page } from 'playwright-core';

/** What a person does in the console, in words the tests and the screenshot script share. */

export async function signIn(page: Page, baseUrl: string, clientId: string, clientSecret: string): Promise<void> {
  await page.goto(`${baseUrl}/console/`);
  await page.getByLabel('Client ID').fill(clientId);
  await page.getByLabel('Client secret').fill(clientSecret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Service accounts' }).waitFor();
}

export async function openSection(page: Page, name: string, heading = name): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

export async function createResource(page: Page, key: string, permissions: readonly string[]): Promise<void> {
  await openSection(page, 'Resources');
  const form = page.getByRole('form', { name: 'Create a resource' });
  await form.getByLabel('Key').fill(key);
  await form.getByLabel('Permissions (one per line)').fill(permissions.join('\n'));
  await form.getByRole('button', { name: 'Create resource' }).click();
  await page
    .getByText(`Permissions of ${key}`, { exact: false })
    .or(page.locator('summary', { hasText: key }))
    .first()
    .waitFor();
}

/** Creates a service account and answers the secret the console shows once. */
export async function createServiceAccount(page: Page, name: string): Promise<string> {
  await openSection(page, 'Service accounts');
  const form = page.getByRole('form', { name: 'Create a service account' });
  await form.getByLabel('Name').fill(name);
  await form.getByRole('button', { name: 'Create service account' }).click();
  const secret = page.getByRole('textbox', { name: 'Client secret' });
  await secret.waitFor();
  return secret.inputValue();
}
