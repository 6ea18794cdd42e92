import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime } from '../../support/local-runtime';
import { acceptLogin, formFields, metadataOf, samlClient, samlify, setUpWorld, SP_ENTITY_ID, ACS_URL, TestBrowser, toLoginPage, type Runtime, type World } from './support';

/**
 * SAML client keys have their own key-wrapping key, so SAML works the same in KMS signing mode
 * (where tokens are signed by KMS keys and there is no token key-wrapping key).
 */
describe('SAML single sign-on in KMS signing mode', () => {
  let runtime: Runtime;
  let world: World;

  beforeAll(async () => {
    runtime = await startTestRuntime(undefined, { signingMode: 'kms' });
    world = await setUpWorld(runtime);
  });
  afterAll(() => runtime?.stop());

  it('creates a SAML client with its own key and logs an end user in', async () => {
    const client = await samlClient(world, { nameIdType: 'external_user_id' });
    const idp = samlify.IdentityProvider({ metadata: await metadataOf(client) });
    const sp = samlify.ServiceProvider({
      entityID: SP_ENTITY_ID,
      assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: ACS_URL }],
      wantAssertionsSigned: true,
    });
    const browser = new TestBrowser(runtime.url);
    const challenge = await toLoginPage(browser, (sp.createLoginRequest(idp, 'redirect') as { context: string }).context);
    const page = await acceptLogin(world, browser, challenge, { subjectId: 'erin-7', email: 'erin@example.com' });
    const { extract } = await sp.parseLoginResponse(idp, 'post', { body: formFields(page.body) });
    expect(extract.nameID).toBe('erin-7');
    expect(Buffer.from(formFields(page.body).SAMLResponse, 'base64').toString()).toContain('Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"');
  });
});
