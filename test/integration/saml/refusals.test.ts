import { deflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samlSigningCertificate } from '../../support/certificates';
import { startTestRuntime } from '../../support/local-runtime';
import { ACS_URL, formFields, metadataOf, samlClient, samlify, setUpWorld, SP_ENTITY_ID, TestBrowser, toLoginPage, type Runtime, type World } from './support';

/**
 * What the SSO URL refuses, and how a refused login answers the service provider. A refused
 * AuthnRequest shows an error page (400) and never posts anything to an ACS URL; a refused login
 * posts a SAML error Response.
 */

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';

function authnRequest(fields: { id?: string; issuer?: string; acsUrl?: string; issueInstant?: string; destination?: string; extra?: string } = {}): string {
  return (
    `<samlp:AuthnRequest xmlns:samlp="${PROTOCOL}" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${fields.id ?? `_${Math.random().toString(16).slice(2)}`}" Version="2.0"` +
    ` IssueInstant="${fields.issueInstant ?? new Date().toISOString()}"` +
    (fields.acsUrl ? ` AssertionConsumerServiceURL="${fields.acsUrl}"` : '') +
    (fields.destination ? ` Destination="${fields.destination}"` : '') +
    `${fields.extra ?? ''}><saml:Issuer>${fields.issuer ?? SP_ENTITY_ID}</saml:Issuer></samlp:AuthnRequest>`
  );
}

const redirectUrl = (ssoUrl: string, xml: string) => `${ssoUrl}?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml)).toString('base64'))}`;

async function spKeys() {
  const { privateKey, certificate } = await samlSigningCertificate('wiki SP');
  return { privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), certificate };
}

function statusCodes(samlResponse: string): string[] {
  const document = new DOMParser().parseFromString(Buffer.from(samlResponse, 'base64').toString('utf8'), 'text/xml');
  return Array.from(document.getElementsByTagNameNS(PROTOCOL, 'StatusCode')).map((node) => node.getAttribute('Value')!);
}

describe('SAML SSO URL refusals', () => {
  let runtime: Runtime;
  let world: World;
  let client: Awaited<ReturnType<typeof samlClient>>;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
    client = await samlClient(world);
  });
  afterAll(() => runtime?.stop());

  const refused = async (url: string, init?: RequestInit) => {
    const response = await new TestBrowser(runtime.url).visit(url, init);
    expect(response.status).toBe(400);
    expect(response.location).toBeUndefined();
    return response.body;
  };

  it('refuses an AuthnRequest whose Issuer is not the registered spEntityId', async () => {
    expect(await refused(redirectUrl(client.ssoUrl, authnRequest({ issuer: 'https://evil.example.com/saml' })))).toContain(
      'Issuer must be this client&#39;s registered spEntityId',
    );
  });

  it('refuses an AssertionConsumerServiceURL that is not the registered acsUrl, and a foreign Destination', async () => {
    expect(await refused(redirectUrl(client.ssoUrl, authnRequest({ acsUrl: 'https://evil.example.com/acs' })))).toContain(
      'AssertionConsumerServiceURL is not the registered acsUrl',
    );
    expect(await refused(redirectUrl(client.ssoUrl, authnRequest({ destination: 'https://other.example.com/sso' })))).toContain('Destination must be');
  });

  it('refuses a replayed AuthnRequest ID and a stale or future IssueInstant', async () => {
    const once = redirectUrl(client.ssoUrl, authnRequest({ id: '_replayed-request-1', acsUrl: ACS_URL }));
    expect((await new TestBrowser(runtime.url).visit(once)).status).toBe(303);
    expect(await refused(once)).toContain('this AuthnRequest ID has been used already');
    const tenMinutes = 10 * 60_000;
    expect(await refused(redirectUrl(client.ssoUrl, authnRequest({ issueInstant: new Date(Date.now() - tenMinutes).toISOString() })))).toContain(
      'issued more than 5 minutes from now',
    );
    expect(await refused(redirectUrl(client.ssoUrl, authnRequest({ issueInstant: new Date(Date.now() + tenMinutes).toISOString() })))).toContain(
      'issued more than 5 minutes from now',
    );
  });

  it('refuses an unknown client, a DOCTYPE, malformed XML, and a message that is not an AuthnRequest', async () => {
    expect(await refused(redirectUrl(`${runtime.url}/saml/cl_aaaaaaaaaaaaaaaaaaaaaaaaaa@${runtime.devAdmin.environmentId}/sso`, authnRequest()))).toContain(
      'is not a SAML client of this issuer',
    );
    const entity = `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>${authnRequest({ issuer: '&x;' })}`;
    expect(await refused(redirectUrl(client.ssoUrl, entity))).toContain('must not contain a DOCTYPE');
    expect(await refused(redirectUrl(client.ssoUrl, '<samlp:AuthnRequest'))).toContain('not well-formed XML');
    expect(await refused(redirectUrl(client.ssoUrl, `<samlp:LogoutRequest xmlns:samlp="${PROTOCOL}" ID="_x" Version="2.0"/>`))).toContain('must be a SAML 2.0 AuthnRequest');
    expect(await refused(`${client.ssoUrl}?SAMLRequest=${encodeURIComponent(Buffer.from(authnRequest()).toString('base64'))}`)).toContain('DEFLATE');
  });

  it('sends a SAML client to its SSO URL rather than starting a login at the authorization endpoint', async () => {
    expect(await refused(`${runtime.url}/oauth/v2/authorize?client_id=${encodeURIComponent(client.clientId)}&response_type=code`)).toContain(
      'a SAML client signs in through its SSO URL',
    );
  });

  it('answers a rejected login with an error Response (Responder / AuthnFailed) posted to the ACS URL', async () => {
    const browser = new TestBrowser(runtime.url);
    const url = new URL(redirectUrl(client.ssoUrl, authnRequest({ id: '_to-be-rejected' })));
    url.searchParams.set('RelayState', 'relay-x');
    const challenge = await toLoginPage(browser, url.href);
    const rejected = await world.backend.post(`/v1/login-requests/${encodeURIComponent(challenge)}/reject`, { error: 'access_denied', errorDescription: 'wrong password' });
    expect(rejected.status).toBe(200);
    const page = await browser.visit(rejected.body.redirectTo);
    expect(page.status).toBe(200);
    const fields = formFields(page.body);
    expect(fields).toMatchObject({ action: ACS_URL, RelayState: 'relay-x' });
    expect(statusCodes(fields.SAMLResponse)).toEqual(['urn:oasis:names:tc:SAML:2.0:status:Responder', 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed']);
    const xml = Buffer.from(fields.SAMLResponse, 'base64').toString('utf8');
    expect(xml).toContain('InResponseTo="_to-be-rejected"');
    expect(xml).not.toContain('Assertion');
  });

  it('answers a passive request without a session NoPassive, and the start handle works once', async () => {
    const browser = new TestBrowser(runtime.url);
    const page = await browser.visit(redirectUrl(client.ssoUrl, authnRequest({ extra: ' IsPassive="true"' })));
    expect(statusCodes(formFields(page.body).SAMLResponse)).toEqual(['urn:oasis:names:tc:SAML:2.0:status:Responder', 'urn:oasis:names:tc:SAML:2.0:status:NoPassive']);

    const response = await fetch(redirectUrl(client.ssoUrl, authnRequest()), { redirect: 'manual' });
    const toAuthorize = response.headers.get('location')!;
    expect((await browser.visit(toAuthorize)).status).toBe(303);
    expect(await refused(toAuthorize)).toContain('this SAML sign-in is unknown or already under way');
  });

  describe('a client that requires signed requests', () => {
    let signing: Awaited<ReturnType<typeof samlClient>>;
    let sp: ReturnType<typeof samlify.ServiceProvider>;
    let idp: ReturnType<typeof samlify.IdentityProvider>;
    const SIGNED_SP = 'https://signed.example.com/saml';

    beforeAll(async () => {
      const keys = await spKeys();
      signing = await samlClient(world, { name: 'Signed', spEntityId: SIGNED_SP, spSigningCertificate: keys.certificate, requireSignedRequests: true });
      idp = samlify.IdentityProvider({ metadata: await metadataOf(signing) });
      sp = samlify.ServiceProvider({
        entityID: SIGNED_SP,
        assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: ACS_URL }],
        authnRequestsSigned: true,
        privateKey: keys.privateKeyPem,
        signingCert: keys.certificate,
        requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      });
    });

    const postForm = (samlRequest: string) => ({
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ SAMLRequest: samlRequest }).toString(),
    });
    const signedPostXml = () => Buffer.from((sp.createLoginRequest(idp, 'post') as { context: string }).context, 'base64').toString('utf8');

    it('accepts signed requests over both bindings', async () => {
      await toLoginPage(new TestBrowser(runtime.url), (sp.createLoginRequest(idp, 'redirect') as { context: string }).context);
      const posted = await new TestBrowser(runtime.url).visit(signing.ssoUrl, postForm(Buffer.from(signedPostXml()).toString('base64')));
      expect(posted.status).toBe(303);
      expect(posted.location).toMatch(/^https:\/\/app\.example\.com\/login\?login_challenge=/);
    });

    it('refuses an unsigned request, a tampered redirect signature, and a tampered signed POST', async () => {
      expect(await refused(redirectUrl(signing.ssoUrl, authnRequest({ issuer: SIGNED_SP })))).toContain('send SigAlg and Signature');
      const signedUrl = new URL((sp.createLoginRequest(idp, 'redirect') as { context: string }).context);
      signedUrl.searchParams.set('RelayState', 'added-after-signing');
      expect(await refused(signedUrl.href)).toContain('the request signature does not verify');
      const tampered = signedPostXml().replace('<saml:Issuer', '<saml:Issuer x="1"');
      expect(await refused(signing.ssoUrl, postForm(Buffer.from(tampered).toString('base64')))).toContain('does not verify with the registered signing certificate');
      expect(await refused(signing.ssoUrl, postForm(Buffer.from(authnRequest({ issuer: SIGNED_SP })).toString('base64')))).toContain('must carry exactly one XML signature');
    });

    it('refuses signature-wrapping: a forged root around the signed request, or the signature moved under a forged root', async () => {
      const signed = signedPostXml();
      const id = /ID="([^"]+)"/.exec(signed)![1]!;
      const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(signed)?.[0] ?? /<(\w+:)?Signature[\s\S]*Signature>/.exec(signed)![0];
      const forgedOpen = `<samlp:AuthnRequest xmlns:samlp="${PROTOCOL}" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_forged" Version="2.0" IssueInstant="${new Date().toISOString()}" AssertionConsumerServiceURL="https://evil.example.com/acs"><saml:Issuer>${SIGNED_SP}</saml:Issuer>`;
      // The signed request wrapped, whole, inside a forged one: the signature is not the root's.
      const wrapped = `${forgedOpen}<samlp:Extensions>${signed.replace(/^<\?xml[^>]*\?>/, '')}</samlp:Extensions></samlp:AuthnRequest>`;
      expect(await refused(signing.ssoUrl, postForm(Buffer.from(wrapped).toString('base64')))).toContain('signature must sign its root element');
      // The signature moved under the forged root, still referencing the original, which rides along.
      const original = signed.replace(/^<\?xml[^>]*\?>/, '').replace(signature, '');
      const moved = `${forgedOpen}${signature}<samlp:Extensions>${original}</samlp:Extensions></samlp:AuthnRequest>`;
      expect(await refused(signing.ssoUrl, postForm(Buffer.from(moved).toString('base64')))).toContain('must cover its root element and nothing else');
      // The forged root takes the signed element's ID: two elements with one ID never verify.
      const sameId = moved.replace('ID="_forged"', `ID="${id}"`);
      expect(await refused(signing.ssoUrl, postForm(Buffer.from(sameId).toString('base64')))).toContain('does not verify');
    });
  });
});
