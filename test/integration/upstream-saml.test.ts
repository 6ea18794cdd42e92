import { SAML } from '@node-saml/node-saml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestBrowser } from '../support/browser';
import { samlSigningCertificate } from '../support/certificates';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';
import { authnRequestIdIn, type IdpAnswer, type SamlifyIdp, samlify, samlifyIdentityProvider, signedLoginResponse } from '../support/samlify-idp';
import { formFields } from './saml/support';

/**
 * Latchkey as a broker between SAML on both sides: samlify is the upstream identity provider of a
 * SAML connection, and a SAML client of Latchkey (samlify, then node-saml, as its service provider)
 * logs in through it. The browser goes SP → Latchkey's SSO URL → the upstream IdP with a signed
 * AuthnRequest → Latchkey's ACS URL with the IdP's signed Response → the SP's ACS with Latchkey's own
 * signed Response naming the mapped user. Then what must fail: the IdP refusing the login, a
 * Response signed by another key, and a disabled connection.
 */

const UPSTREAM_ENTITY_ID = 'https://idp.acme-saml.example/saml';
const UPSTREAM_SSO_URL = 'https://idp.acme-saml.example/sso';
const SP_ACS_URL = 'https://wiki.acme-saml.example/saml/acs';
const SP_ENTITY_ID = 'https://wiki.acme-saml.example/saml';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('logging in through an upstream SAML identity provider, into a SAML client', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;
  let upstream: SamlifyIdp;
  let impostor: SamlifyIdp;
  let connection: { id: string; acsUrl: string; metadataUrl: string; spEntityId: string };
  let spMetadata: string;
  let client: { clientId: string; ssoUrl: string; metadataUrl: string; certificate: string };
  let latchkey: SamlifyIdp;
  const sp = samlify.ServiceProvider({
    entityID: SP_ENTITY_ID,
    assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: SP_ACS_URL }],
    wantAssertionsSigned: true,
  });

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    const [key, other] = await Promise.all([samlSigningCertificate('acme-idp'), samlSigningCertificate('impostor')]);
    upstream = samlifyIdentityProvider({ entityId: UPSTREAM_ENTITY_ID, ssoUrl: UPSTREAM_SSO_URL, key });
    impostor = samlifyIdentityProvider({ entityId: UPSTREAM_ENTITY_ID, ssoUrl: UPSTREAM_SSO_URL, key: other });
    const applicationId = (await admin.post('/v1/applications', { name: 'SAML-brokered wiki' })).body.id as string;
    const created = await admin.post('/v1/idp-connections', {
      type: 'saml',
      name: 'Acme SAML',
      idpMetadataXml: upstream.getMetadata(),
      attributeMapping: { name: 'displayName' },
      applicationIds: [applicationId],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    connection = created.body;
    const metadata = await fetch(connection.metadataUrl);
    expect(metadata.status).toBe(200);
    spMetadata = await metadata.text();
    const samlClient = await admin.post(`/v1/applications/${applicationId}/saml-clients`, { name: 'Wiki', acsUrl: SP_ACS_URL, spEntityId: SP_ENTITY_ID, nameIdType: 'email' });
    expect(samlClient.status, JSON.stringify(samlClient.body)).toBe(201);
    client = samlClient.body;
    latchkey = samlify.IdentityProvider({ metadata: await (await fetch(client.metadataUrl)).text() });
  });
  afterAll(() => runtime?.stop());

  /** From the SP's redirect to the upstream IdP's answer at Latchkey's ACS, and on to the page that posts to the SP. */
  async function throughUpstream(browser: TestBrowser, spRedirect: string, answer: IdpAnswer = {}) {
    const atUpstream = await browser.visit(spRedirect);
    expect(atUpstream.location?.startsWith(`${UPSTREAM_SSO_URL}?`), atUpstream.location).toBe(true);
    const request = await authnRequestIdIn(upstream, spMetadata, atUpstream.location!);
    const SAMLResponse = await signedLoginResponse(upstream, spMetadata, request.id, answer);
    const page = await browser.visit(connection.acsUrl, { method: 'POST', headers: FORM, body: new URLSearchParams({ SAMLResponse, RelayState: request.relayState }).toString() });
    expect(page.status, page.body.slice(0, 300)).toBe(200);
    return formFields(page.body);
  }

  it('publishes the SP metadata: entity ID, ACS URL, signing certificate', () => {
    const reader = samlify.ServiceProvider({ metadata: spMetadata });
    expect(reader.entityMeta.getEntityID()).toBe(connection.spEntityId);
    expect(reader.entityMeta.getAssertionConsumerService('post')).toBe(connection.acsUrl);
    expect(connection.acsUrl).toMatch(new RegExp(`^${runtime.url}/saml/sp/${connection.id}@env_[a-z2-7]{26}/acs$`));
  });

  it('refuses settings that cannot work, with a 400 that says why and nothing written', async () => {
    const before = (await admin.get('/v1/idp-connections')).body.items.length;
    const noCertificate = upstream.getMetadata().replace(/<(\w+:)?KeyDescriptor[\s\S]*<\/(\w+:)?KeyDescriptor>/, '');
    for (const [body, message] of [
      [{ type: 'saml', idpMetadataXml: noCertificate }, 'must publish a signing certificate'],
      [{ type: 'saml', idpMetadataXml: upstream.getMetadata(), nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' }, 'nameIdFormat must be one of'],
      [{ type: 'oidc', idpMetadataXml: upstream.getMetadata() }, 'idpMetadataXml is only for connections of type "saml"'],
    ] as const) {
      const answer = await admin.post('/v1/idp-connections', body);
      expect(answer.status).toBe(400);
      expect(answer.body.detail).toContain(message);
    }
    expect((await admin.get('/v1/idp-connections')).body.items.length).toBe(before);
  });

  it('samlify as the SP receives a signed Response naming the user the upstream assertion was mapped to', async () => {
    const browser = new TestBrowser(runtime.url);
    const { id, context } = sp.createLoginRequest(latchkey, 'redirect') as { id: string; context: string };
    const url = new URL(context);
    url.searchParams.set('RelayState', 'back-to=/home');
    const fields = await throughUpstream(browser, url.href, { nameId: 'acme-7', attributes: { email: 'Ada@Acme-Saml.example', displayName: 'Ada Acme' } });
    expect(fields).toMatchObject({ action: SP_ACS_URL, RelayState: 'back-to=/home' });
    const { extract } = await sp.parseLoginResponse(latchkey, 'post', { body: fields });
    expect(extract.nameID).toBe('ada@acme-saml.example');
    expect(extract.response!.inResponseTo).toBe(id);
    expect(extract.attributes).toMatchObject({ email: 'ada@acme-saml.example', name: 'Ada Acme', userId: expect.stringMatching(/^usr_/) });
    const user = await admin.get(`/v1/users/${(extract.attributes as { userId: string }).userId}`);
    expect(JSON.stringify(user.body)).toContain('acme-7');
    expect(JSON.stringify(user.body)).toContain(connection.id);
  });

  it('node-saml as the SP validates the Response of a brokered login too', async () => {
    const browser = new TestBrowser(runtime.url);
    const nodeSaml = new SAML({
      entryPoint: client.ssoUrl,
      issuer: SP_ENTITY_ID,
      callbackUrl: SP_ACS_URL,
      idpCert: client.certificate,
      audience: SP_ENTITY_ID,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      validateInResponseTo: 'always' as never,
    });
    const fields = await throughUpstream(browser, await nodeSaml.getAuthorizeUrlAsync('relay-3', undefined, {}), {
      nameId: 'acme-8',
      attributes: { email: 'bob@acme-saml.example' },
    });
    const { profile } = await nodeSaml.validatePostResponseAsync({ SAMLResponse: fields.SAMLResponse, RelayState: fields.RelayState ?? '' });
    expect(profile?.nameID).toBe('bob@acme-saml.example');
  });

  it.each([
    ['the upstream refuses the login (Requester / AuthnFailed)', { status: 'urn:oasis:names:tc:SAML:2.0:status:Requester' }, false, 'saml_denied'],
    ['the Response is signed by a key the metadata does not publish', {}, true, 'saml_response_invalid'],
  ])('%s: the SP gets an AuthnFailed Response, the audit log the reason', async (_, answer: IdpAnswer, signedByImpostor, code) => {
    const browser = new TestBrowser(runtime.url);
    const { context } = sp.createLoginRequest(latchkey, 'redirect') as { context: string };
    const fields = await throughUpstream(browser, context, { ...answer, ...(signedByImpostor ? { signer: impostor } : {}) });
    const xml = Buffer.from(fields.SAMLResponse, 'base64').toString('utf8');
    expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:status:AuthnFailed');
    expect(xml).not.toContain('<saml:Assertion');
    const events = await admin.get('/v1/audit-events?action=idp_connection.login_failed');
    expect(JSON.stringify(events.body)).toContain(code);
  });

  it('a Response posted again is refused (the login it answered is over), and a disabled connection refuses new logins at once', async () => {
    const browser = new TestBrowser(runtime.url);
    const { context } = sp.createLoginRequest(latchkey, 'redirect') as { context: string };
    const atUpstream = await browser.visit(context);
    const request = await authnRequestIdIn(upstream, spMetadata, atUpstream.location!);
    const body = new URLSearchParams({ SAMLResponse: await signedLoginResponse(upstream, spMetadata, request.id), RelayState: request.relayState }).toString();
    expect((await browser.visit(connection.acsUrl, { method: 'POST', headers: FORM, body })).status).toBe(200);
    const again = await new TestBrowser(runtime.url).visit(connection.acsUrl, { method: 'POST', headers: FORM, body });
    expect(again.status).toBe(400);

    await admin.patch(`/v1/idp-connections/${connection.id}`, { enabled: false });
    try {
      const page = await new TestBrowser(runtime.url).visit((sp.createLoginRequest(latchkey, 'redirect') as { context: string }).context);
      expect(Buffer.from(formFields(page.body).SAMLResponse, 'base64').toString('utf8')).toContain('urn:oasis:names:tc:SAML:2.0:status:AuthnFailed');
    } finally {
      await admin.patch(`/v1/idp-connections/${connection.id}`, { enabled: true });
    }
  });
});
