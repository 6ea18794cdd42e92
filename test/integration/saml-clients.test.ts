import { X509Certificate } from 'node:crypto';
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

  // Entity IDs are unique per environment: each client of these tests gets its own.
  let serial = 0;
  const uniqueSp = () => ({ ...sp, spEntityId: `${sp.spEntityId}/${++serial}` });
  const published = (xml: string) =>
    [...xml.matchAll(/<md:KeyDescriptor use="signing">\s*<ds:KeyInfo><ds:X509Data><ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/g)].map((match) => match[1]);
  const base64Of = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');

  it('creates, reads, lists, changes, rotates the certificate of, and deletes a SAML client', async () => {
    const created = await admin.post(base, { ...uniqueSp(), nameIdType: 'username' });
    expect(created.status).toBe(201);
    const { id, clientId } = created.body;
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^cl_[a-z2-7]{26}$/),
      clientId: `${id}@${runtime.devAdmin.environmentId}`,
      protocol: 'saml',
      applicationId: appId,
      acsUrl: sp.acsUrl,
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

    // Rollover, first call: a next key and certificate, published beside the current one.
    const next = await admin.post(`${base}/${id}/certificate`);
    expect(next.status).toBe(200);
    expect(next.body.certificate).toBe(created.body.certificate);
    const before = new X509Certificate(created.body.certificate);
    const after = new X509Certificate(next.body.nextCertificate);
    expect(after.serialNumber).not.toBe(before.serialNumber);
    // A new key, not the same key with a new certificate.
    expect(after.publicKey.export({ format: 'jwk' })).not.toEqual(before.publicKey.export({ format: 'jwk' }));
    expect(published(await (await fetch(created.body.metadataUrl)).text())).toEqual([base64Of(created.body.certificate), base64Of(next.body.nextCertificate)]);
    // Second call: the next key becomes current and the old one is withdrawn.
    const promoted = await admin.post(`${base}/${id}/certificate`);
    expect(promoted.status).toBe(200);
    expect(promoted.body.certificate).toBe(next.body.nextCertificate);
    expect(promoted.body).not.toHaveProperty('nextCertificate');
    expect(published(await (await fetch(created.body.metadataUrl)).text())).toEqual([base64Of(next.body.nextCertificate)]);
    // Wrapped private keys are never shown.
    expect(JSON.stringify(promoted.body)).not.toMatch(/wrappedPrivateKey|signingKey/);

    expect((await admin.delete(`${base}/${id}`)).status).toBe(204);
    expect((await admin.get(`${base}/${id}`)).status).toBe(404);
    expect((await fetch(created.body.metadataUrl)).status).toBe(404);
  });

  it("serves IdP metadata that a SAML library reads, with the certificate of the client's own RSA key", async () => {
    const created = (await admin.post(base, { ...uniqueSp(), name: 'Metadata', nameIdType: 'email' })).body;
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

    // Self-signed by the client's key, which it certifies.
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(certificate.subject).toContain(`CN=${created.clientId}`);
    expect(certificate.ca).toBe(false);
    expect(Date.parse(certificate.validTo)).toBeGreaterThan(Date.now() + 9 * 365 * 86_400_000);
  });

  it.each([
    ['nameIdType', { nameIdType: 'phone_number' }, 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'],
    ['nameIdType', { nameIdType: 'external_user_id' }, 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent'],
  ])('publishes the NameID format of %s %j', async (_field, settings, format) => {
    const created = (await admin.post(base, { ...uniqueSp(), name: 'Formats', ...settings })).body;
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
    [{ spSigningCertificate: 'not a certificate' }, 'spSigningCertificate: is not a PEM X.509 certificate'],
    [{ requireSignedRequests: true }, 'requireSignedRequests: needs spSigningCertificate'],
  ])('refuses %j', (settings, named) => {
    it(`naming ${named.split(':')[0]}`, async () => {
      const refused = await admin.post(base, { ...uniqueSp(), ...settings });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('invalid_request');
      expect(refused.body.detail).toContain(named);
    });
  });

  it('stops serving the metadata of a deleted application’s clients', async () => {
    const shortLived = (await admin.post('/v1/applications', { name: 'Short-lived' })).body.id;
    const spOfShortLived = uniqueSp();
    const created = (await admin.post(`/v1/applications/${shortLived}/saml-clients`, spOfShortLived)).body;
    expect((await fetch(created.metadataUrl)).status).toBe(200);
    expect((await admin.delete(`/v1/applications/${shortLived}`)).status).toBe(204);
    expect((await fetch(created.metadataUrl)).status).toBe(404);
    // Its entity ID is free again for a client of a live application.
    expect((await admin.post(base, spOfShortLived)).status).toBe(201);
  });

  it('answers 409 for a second client with the same spEntityId, on create and on change, and frees it on delete', async () => {
    const taken = uniqueSp();
    const first = await admin.post(base, taken);
    expect(first.status).toBe(201);
    const duplicate = await admin.post(base, { ...taken, name: 'Copy' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.detail).toContain(`spEntityId "${taken.spEntityId}" is already the entity ID of another SAML client`);
    const other = (await admin.post(base, uniqueSp())).body;
    expect((await admin.patch(`${base}/${other.id}`, { spEntityId: taken.spEntityId })).status).toBe(409);
    // Renaming frees the old entity ID; deleting frees the current one.
    const renamed = `${taken.spEntityId}/renamed`;
    expect((await admin.patch(`${base}/${first.body.id}`, { spEntityId: renamed })).status).toBe(200);
    expect((await admin.patch(`${base}/${other.id}`, { spEntityId: taken.spEntityId })).status).toBe(200);
    expect((await admin.delete(`${base}/${first.body.id}`)).status).toBe(204);
    expect((await admin.post(base, { ...sp, spEntityId: renamed })).status).toBe(201);
  });

  it('accepts a URN as SP entity ID and a local http ACS URL', async () => {
    const created = await admin.post(base, { name: 'Local', acsUrl: 'http://localhost:8080/acs', spEntityId: 'urn:example:wiki' });
    expect(created.status).toBe(201);
    expect(created.body.nameIdType).toBe('email');
  });
});
