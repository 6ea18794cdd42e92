import { X509Certificate, createPublicKey } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import * as samlify from 'samlify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';

/** samlify answers one NameID format as a string and several as an array. */
const formats = (value: string | string[]) => [value].flat();

describe('SAML clients over the local API', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;
  let appId: string;
  let base: string;
  const sp = { name: 'Wiki', acsUrl: 'https://wiki.example.com/saml/acs', spEntityId: 'https://wiki.example.com/saml' };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    admin = api(runtime.url, await adminToken(runtime));
    appId = (await admin.post('/v1/applications', { name: 'Intranet' })).body.id;
    base = `/v1/applications/${appId}/saml-clients`;
  });
  afterAll(() => runtime?.stop());

  const samlKeyPublicKey = async () => {
    const { PublicKey } = await new KMSClient({}).send(new GetPublicKeyCommand({ KeyId: runtime.resources.samlSigningKeyArn }));
    return createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
  };

  it('creates, reads, lists, changes, rotates the certificate of, and deletes a SAML client', async () => {
    const created = await admin.post(base, { ...sp, nameIdType: 'username' });
    expect(created.status).toBe(201);
    const { id, clientId } = created.body;
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^cl_[a-z2-7]{26}$/),
      clientId: `${id}@${runtime.devAdmin.environmentId}`,
      protocol: 'saml',
      applicationId: appId,
      ...sp,
      nameIdType: 'username',
      idpEntityId: `${runtime.url}/saml/${clientId}`,
      ssoUrl: `${runtime.url}/saml/${clientId}/sso`,
      metadataUrl: `${runtime.url}/saml/${clientId}/metadata`,
      certificate: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/),
    });
    expect(created.body).not.toHaveProperty('clientSecret');

    expect((await admin.get(`${base}/${id}`)).body).toEqual(created.body);
    expect((await admin.get(base)).body.items.map((c: { id: string }) => c.id)).toEqual([id]);
    // An OIDC listing does not show SAML clients, nor an OIDC read find them.
    expect((await admin.get(`/v1/applications/${appId}/clients`)).body.items).toEqual([]);
    expect((await admin.get(`/v1/applications/${appId}/clients/${id}`)).status).toBe(404);

    const changed = await admin.patch(`${base}/${id}`, { acsUrl: 'https://wiki.example.com/acs2', nameIdType: 'email', description: 'team wiki' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ acsUrl: 'https://wiki.example.com/acs2', nameIdType: 'email', description: 'team wiki', clientId });

    const rotated = await admin.post(`${base}/${id}/certificate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.certificate).not.toBe(created.body.certificate);
    const before = new X509Certificate(created.body.certificate);
    const after = new X509Certificate(rotated.body.certificate);
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(after.publicKey.export({ format: 'jwk' })).toEqual(before.publicKey.export({ format: 'jwk' }));
    expect(await (await fetch(created.body.metadataUrl)).text()).toContain(rotated.body.certificate.split('\n')[1]);

    expect((await admin.delete(`${base}/${id}`)).status).toBe(204);
    expect((await admin.get(`${base}/${id}`)).status).toBe(404);
    expect((await fetch(created.body.metadataUrl)).status).toBe(404);
  });

  it('serves IdP metadata that a SAML library reads, with a certificate signed by the KMS RSA key', async () => {
    const created = (await admin.post(base, { ...sp, name: 'Metadata', nameIdType: 'email' })).body;
    const response = await fetch(created.metadataUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/samlmetadata+xml');
    const xml = await response.text();

    const idp = samlify.IdentityProvider({ metadata: xml });
    expect(idp.entityMeta.getEntityID()).toBe(created.idpEntityId);
    expect(idp.entityMeta.getSingleSignOnService('redirect')).toBe(created.ssoUrl);
    expect(idp.entityMeta.getSingleSignOnService('post')).toBe(created.ssoUrl);
    expect(formats(idp.entityMeta.getNameIDFormat())).toEqual(['urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress']);
    const published = idp.entityMeta.getX509Certificate('signing') as string;
    const certificate = new X509Certificate(`-----BEGIN CERTIFICATE-----\n${published}\n-----END CERTIFICATE-----`);
    expect(certificate.raw.equals(new X509Certificate(created.certificate).raw)).toBe(true);

    // Signed through KMS: the certificate verifies with the KMS key's public key, and certifies it.
    const kmsKey = await samlKeyPublicKey();
    expect(certificate.verify(kmsKey)).toBe(true);
    expect(certificate.publicKey.export({ format: 'jwk' })).toEqual(kmsKey.export({ format: 'jwk' }));
    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(certificate.subject).toContain(`CN=${created.clientId}`);
    expect(certificate.ca).toBe(false);
    expect(Date.parse(certificate.validTo)).toBeGreaterThan(Date.now() + 9 * 365 * 86_400_000);
  });

  it.each([
    ['nameIdType', { nameIdType: 'phone_number' }, 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'],
    ['nameIdType', { nameIdType: 'external_user_id' }, 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'],
  ])('publishes the NameID format of %s %j', async (_field, settings, format) => {
    const created = (await admin.post(base, { ...sp, name: 'Formats', ...settings })).body;
    const idp = samlify.IdentityProvider({ metadata: await (await fetch(created.metadataUrl)).text() });
    expect(formats(idp.entityMeta.getNameIDFormat())).toEqual([format]);
  });

  it('answers 404 for the metadata of an unknown or OIDC client, publicly and without a token', async () => {
    expect((await fetch(`${runtime.url}/saml/cl_aaaaaaaaaaaaaaaaaaaaaaaaaa@${runtime.devAdmin.environmentId}/metadata`)).status).toBe(404);
    expect((await fetch(`${runtime.url}/saml/nonsense/metadata`)).status).toBe(404);
    const oidc = (await admin.post(`/v1/applications/${appId}/clients`, { name: 'OIDC' })).body;
    expect((await fetch(`${runtime.url}/saml/${oidc.clientId}/metadata`)).status).toBe(404);
  });

  describe.each([
    [{ acsUrl: 'http://wiki.example.com/acs' }, 'acsUrl: "http://wiki.example.com/acs" must use https'],
    [{ acsUrl: 'https://wiki.example.com/acs#x' }, 'acsUrl: "https://wiki.example.com/acs#x" has a fragment'],
    [{ acsUrl: 'https://*.example.com/acs' }, 'acsUrl: "https://*.example.com/acs" contains a wildcard'],
    [{ spEntityId: 'not a uri' }, 'spEntityId: "not a uri" is not an absolute URI'],
    [{ nameIdType: 'passport' }, 'nameIdType'],
    [{ acsUrl: undefined }, 'acsUrl'],
    [{ certificate: 'x' }, 'certificate'],
  ])('refuses %j', (settings, named) => {
    it(`naming ${named.split(':')[0]}`, async () => {
      const refused = await admin.post(base, { ...sp, ...settings });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('invalid_request');
      expect(refused.body.detail).toContain(named);
    });
  });

  it('stops serving the metadata of a deleted application’s clients', async () => {
    const shortLived = (await admin.post('/v1/applications', { name: 'Short-lived' })).body.id;
    const created = (await admin.post(`/v1/applications/${shortLived}/saml-clients`, sp)).body;
    expect((await fetch(created.metadataUrl)).status).toBe(200);
    expect((await admin.delete(`/v1/applications/${shortLived}`)).status).toBe(204);
    expect((await fetch(created.metadataUrl)).status).toBe(404);
  });

  it('accepts a URN as SP entity ID and a local http ACS URL', async () => {
    const created = await admin.post(base, { name: 'Local', acsUrl: 'http://localhost:8080/acs', spEntityId: 'urn:example:wiki' });
    expect(created.status).toBe(201);
    expect(created.body.nameIdType).toBe('email');
  });
});
