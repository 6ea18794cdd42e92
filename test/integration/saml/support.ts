import * as samlify from 'samlify';
import { acceptLogin, challengeIn, LOGIN_URL, setUpWorld, TestBrowser, type Runtime, type World } from '../interactive-login/setup';

/** A SAML world: the interactive-login world plus a SAML client, and samlify playing the SP. */

export const ACS_URL = 'https://wiki.example.com/saml/acs';
export const SP_ENTITY_ID = 'https://wiki.example.com/saml';

// samlify asks for an XML schema validator; the responses' structure is what the tests assert.
samlify.setSchemaValidator({ validate: async () => 'skipped' });

export async function samlClient(world: World, settings: Record<string, unknown> = {}) {
  const created = await world.admin.post(`/v1/applications/${world.applicationId}/saml-clients`, { name: 'Wiki', acsUrl: ACS_URL, spEntityId: SP_ENTITY_ID, ...settings });
  if (created.status !== 201) throw new Error(JSON.stringify(created.body));
  return created.body as { id: string; clientId: string; ssoUrl: string; metadataUrl: string; idpEntityId: string; certificate: string };
}

export async function metadataOf(client: { metadataUrl: string }): Promise<string> {
  const response = await fetch(client.metadataUrl);
  if (response.status !== 200) throw new Error(await response.text());
  return response.text();
}

/** The SAMLResponse and RelayState of the auto-submitting form page. */
export function formFields(page: string): { action: string; SAMLResponse: string; RelayState?: string } {
  const action = /<form method="post" action="([^"]+)"/.exec(page)?.[1];
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1];
  const SAMLResponse = field('SAMLResponse');
  if (!action || !SAMLResponse) throw new Error(`not a SAML form page: ${page.slice(0, 300)}`);
  const decodeEntities = (v: string) => v.replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)));
  const relayState = field('RelayState');
  return { action: decodeEntities(action), SAMLResponse: decodeEntities(SAMLResponse), ...(relayState !== undefined ? { RelayState: decodeEntities(relayState) } : {}) };
}

/** The browser goes from the SSO URL to the application's login page; answers the login challenge. */
export async function toLoginPage(browser: TestBrowser, url: string, init?: RequestInit): Promise<string> {
  const visited = await browser.visit(url, init);
  return challengeIn(visited.location, LOGIN_URL, 'login_challenge');
}

export { acceptLogin, samlify, setUpWorld, TestBrowser, type Runtime, type World };
