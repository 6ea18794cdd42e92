import { SAML } from '@node-saml/node-saml';
import { SignedXml } from 'xml-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime } from '../../support/local-runtime';
import { acceptLogin, ACS_URL, formFields, metadataOf, samlClient, samlify, setUpWorld, SP_ENTITY_ID, TestBrowser, toLoginPage, type Runtime, type World } from './support';

/**
 * SP-initiated SAML login end to end through HTTP: samlify (and node-saml) as the service provider,
 * the browser through the SSO URL and the application's login page, the application's backend
 * accepting the login challenge, the signed Response posted to the ACS URL and validated by the SP.
 */

describe('SAML single sign-on, SP-initiated', () => {
  let runtime: Runtime;
  let world: World;
  let client: Awaited<ReturnType<typeof samlClient>>;
  let idp: ReturnType<typeof samlify.IdentityProvider>;
  const sp = samlify.ServiceProvider({
    entityID: SP_ENTITY_ID,
    assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: ACS_URL }],
    wantAssertionsSigned: true,
  });

  beforeAll(async () => {
    runtime = await startTestRuntime();
    world = await setUpWorld(runtime);
    client = await samlClient(world, { nameIdType: 'email' });
    idp = samlify.IdentityProvider({ metadata: await metadataOf(client) });
  });
  afterAll(() => runtime?.stop());

  it('logs in over the HTTP-Redirect binding; samlify validates the Response and reads NameID and attributes', async () => {
    const browser = new TestBrowser(runtime.url);
    const { id, context } = sp.createLoginRequest(idp, 'redirect') as { id: string; context: string };
    const url = new URL(context);
    url.searchParams.set('RelayState', 'back-to=/wiki/home');
    const challenge = await toLoginPage(browser, url.href);
    const page = await acceptLogin(world, browser, challenge, { subjectId: 'alice-1', email: 'alice@example.com', name: 'Alice', remember: true, amr: ['pwd'] });
    expect(page.status).toBe(200);
    const fields = formFields(page.body);
    expect(fields.action).toBe(ACS_URL);
    expect(fields.RelayState).toBe('back-to=/wiki/home');

    const { extract } = await sp.parseLoginResponse(idp, 'post', { body: fields });
    expect(extract.nameID).toBe('alice@example.com');
    expect(extract.response!.inResponseTo).toBe(id);
    expect(extract.audience).toBe(SP_ENTITY_ID);
    expect(extract.attributes).toMatchObject({ email: 'alice@example.com', name: 'Alice', userId: expect.stringMatching(/^usr_/), profileId: expect.stringMatching(/^prf_/) });
    expect(extract.sessionIndex!.sessionIndex).toMatch(/^ses_/);
    const xml = Buffer.from(fields.SAMLResponse, 'base64').toString('utf8');
    expect(xml).toContain(`Recipient="${ACS_URL}"`);
    expect(xml).toContain('Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"');
    expect(xml).toContain('SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"');
    expect(xml).toContain('CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"');
  });

  it('logs in over the HTTP-POST binding, and a second request of the same browser skips the login page (single sign-on)', async () => {
    const browser = new TestBrowser(runtime.url);
    const post = (request: { context: string; relayState?: string }) =>
      browser.visit(client.ssoUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ SAMLRequest: request.context, RelayState: 'r1' }).toString(),
      });
    const first = sp.createLoginRequest(idp, 'post') as { id: string; context: string };
    const toLogin = await post(first);
    const challenge = new URL(toLogin.location!).searchParams.get('login_challenge')!;
    const page = await acceptLogin(world, browser, challenge, { subjectId: 'bob-1', email: 'bob@example.com', name: 'Bob', remember: true });
    const { extract } = await sp.parseLoginResponse(idp, 'post', { body: formFields(page.body) });
    expect(extract.nameID).toBe('bob@example.com');
    expect(extract.response!.inResponseTo).toBe(first.id);

    const second = sp.createLoginRequest(idp, 'post') as { id: string; context: string };
    const again = await post(second);
    expect(again.status).toBe(200);
    const secondExtract = (await sp.parseLoginResponse(idp, 'post', { body: formFields(again.body) })).extract;
    expect(secondExtract.nameID).toBe('bob@example.com');
    expect(secondExtract.response!.inResponseTo).toBe(second.id);
  });

  it('node-saml validates the same kind of Response', async () => {
    const browser = new TestBrowser(runtime.url);
    const nodeSaml = new SAML({
      entryPoint: client.ssoUrl,
      issuer: SP_ENTITY_ID,
      callbackUrl: ACS_URL,
      idpCert: client.certificate,
      audience: SP_ENTITY_ID,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: false,
      validateInResponseTo: 'always' as never,
    });
    const url = await nodeSaml.getAuthorizeUrlAsync('relay-9', undefined, {});
    const challenge = await toLoginPage(browser, url);
    const page = await acceptLogin(world, browser, challenge, { subjectId: 'dave-1', email: 'dave@example.com', name: 'Dave' });
    const fields = formFields(page.body);
    const { profile } = await nodeSaml.validatePostResponseAsync({ SAMLResponse: fields.SAMLResponse, RelayState: fields.RelayState ?? '' });
    expect(profile?.nameID).toBe('dave@example.com');
    expect(profile?.email).toBe('dave@example.com');
    expect(fields.RelayState).toBe('relay-9');
  });

  it('signs the whole Response too when the client asks for signResponse, as node-saml expects with its default options', async () => {
    const strictSp = (idpCert: string) =>
      new SAML({ entryPoint: client.ssoUrl, issuer: SP_ENTITY_ID, callbackUrl: ACS_URL, idpCert, audience: SP_ENTITY_ID, validateInResponseTo: 'never' as never });
    const loginWith = async (sp: SAML, subjectId: string) => {
      const browser = new TestBrowser(runtime.url);
      const challenge = await toLoginPage(browser, await sp.getAuthorizeUrlAsync('', undefined, {}));
      const page = await acceptLogin(world, browser, challenge, { subjectId, email: `${subjectId}@example.com` });
      return formFields(page.body).SAMLResponse;
    };
    // Without it, node-saml's defaults (wantAuthnResponseSigned) refuse a Response whose assertion alone is signed.
    await expect(strictSp(client.certificate).validatePostResponseAsync({ SAMLResponse: await loginWith(strictSp(client.certificate), 'erin') })).rejects.toThrow(/signature/i);

    const signing = await samlClient(world, { name: 'Signed responses', spEntityId: `${SP_ENTITY_ID}/signed`, signResponse: true });
    expect(signing).toMatchObject({ signResponse: true });
    const sp = new SAML({
      entryPoint: signing.ssoUrl,
      issuer: `${SP_ENTITY_ID}/signed`,
      callbackUrl: ACS_URL,
      idpCert: signing.certificate,
      audience: `${SP_ENTITY_ID}/signed`,
      validateInResponseTo: 'never' as never,
    });
    const response = await loginWith(sp, 'frank');
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: response });
    expect(profile?.nameID).toBe('frank@example.com');
    // Two signatures: the Response's and the assertion's, each by the client's key.
    expect(
      Buffer.from(response, 'base64')
        .toString('utf8')
        .match(/<ds:Signature /g),
    ).toHaveLength(2);
    const turnedOff = await world.admin.patch(`/v1/applications/${world.applicationId}/saml-clients/${signing.id}`, { signResponse: false });
    expect(turnedOff.body).toMatchObject({ signResponse: false });
  });

  it('signs the metadata; the signature verifies with xml-crypto against the published certificate', async () => {
    const xml = await metadataOf(client);
    const certificate = /<md:KeyDescriptor use="signing">\s*<ds:KeyInfo><ds:X509Data><ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/.exec(xml)![1]!;
    const pem = `-----BEGIN CERTIFICATE-----\n${certificate}\n-----END CERTIFICATE-----`;
    const verifier = new SignedXml({ publicCert: pem, getCertFromKeyInfo: () => null });
    const signature = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(xml)![0];
    verifier.loadSignature(signature);
    expect(verifier.checkSignature(xml)).toBe(true);
    expect(verifier.getSignedReferences()[0]).toContain('EntityDescriptor');
    // A tampered document no longer verifies.
    const tampered = new SignedXml({ publicCert: pem, getCertFromKeyInfo: () => null });
    tampered.loadSignature(signature);
    expect(tampered.checkSignature(xml.replace(`${client.ssoUrl}"`, 'https://evil.example.com/sso"'))).toBe(false);
  });
});
