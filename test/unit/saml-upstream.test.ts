import { createHmac, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DOMParser } from '@xmldom/xmldom';
import * as samlify from 'samlify';
import { beforeAll, describe, expect, it } from 'vitest';
import { SignedXml } from 'xml-crypto';
import { OutboundHttp } from '../../src/adapters/outbound-http';
import { OutboundSamlMetadataFetcher } from '../../src/adapters/saml-metadata-fetcher';
import type { AssertionReplayStore } from '../../src/domain/clients/client-assertion';
import { sendAuthnRequest } from '../../src/domain/federation/saml/authn-request';
import { HTTP_POST, HTTP_REDIRECT, loadIdpMetadata, parseIdpMetadata, type IdpMetadata } from '../../src/domain/federation/saml/idp-metadata';
import { UpstreamFailure } from '../../src/domain/login/upstream';
import { acceptSamlResponse, type SamlResponseContext } from '../../src/domain/federation/saml/response';
import {
  type SamlConnectionInput,
  samlConnectionSettings,
  samlConnectionView,
  samlConnectionMetadata,
  type SamlConnectionSettings,
} from '../../src/domain/federation/saml/connection';
import { acceptSamlUpstreamResponse, startSamlUpstreamLogin, stateOf } from '../../src/domain/federation/saml/login';
import type { SamlKeyVault } from '../../src/domain/saml/signing-keys';
import { NAME_ID_FORMATS, serviceProviderUrls, signedSpMetadataXml } from '../../src/domain/federation/saml/sp-metadata';
import { samlSigningCertificate } from '../support/certificates';
import { authnRequestIdIn, type IdpAnswer, samlifyIdentityProvider, signedLoginResponse } from '../support/samlify-idp';

/**
 * Latchkey as a SAML service provider, without HTTP: samlify plays the upstream identity provider
 * that reads Latchkey's SP metadata and AuthnRequests and signs the responses Latchkey checks.
 */

const ISSUER = 'https://latchkey.example.com';
const IDP_ENTITY_ID = 'https://idp.example.com/saml';
const SSO_URL = 'https://idp.example.com/sso';
const CONNECTION = { id: 'idp_conn1', environmentId: 'env_1' };
const sp = serviceProviderUrls(ISSUER, CONNECTION);
const hasher = { hash: async (secret: string) => createHmac('sha256', 'pepper').update(secret).digest('base64url') };

/** The replay store's contract (a conditional put on the ID, expired records count as absent), in memory. */
function memoryReplay(): AssertionReplayStore {
  const seen = new Map<string, number>();
  return {
    async recordAssertionId(environmentId, clientId, jti, expiresAt, nowSeconds) {
      const key = `${environmentId}#${clientId}#${jti}`;
      const until = seen.get(key);
      if (until !== undefined && until > nowSeconds) return false;
      seen.set(key, expiresAt);
      return true;
    },
  };
}

type Pair = { privateKey: KeyObject; certificate: string };
let idpKey: Pair;
let otherKey: Pair;
let spKey: Pair;
let idp: ReturnType<typeof samlify.IdentityProvider>;
let metadata: IdpMetadata;

const identityProvider = (key: Pair, binding = HTTP_REDIRECT) => samlifyIdentityProvider({ entityId: IDP_ENTITY_ID, ssoUrl: SSO_URL, key, binding });
const spMetadata = () => signedSpMetadataXml({ urls: sp, certificates: [spKey.certificate], nameIdFormat: NAME_ID_FORMATS.persistent }, spKey.privateKey);

beforeAll(async () => {
  [idpKey, otherKey, spKey] = await Promise.all([samlSigningCertificate('idp'), samlSigningCertificate('attacker'), samlSigningCertificate('sp')]);
  idp = identityProvider(idpKey);
  metadata = parseIdpMetadata(idp.getMetadata());
});

/** A Response from samlify's IdP to the request `requestId`, signed by it; base64 as posted. */
const idpResponse = (requestId: string, answer: IdpAnswer = {}) => signedLoginResponse(idp, spMetadata(), requestId, answer);

/** A login that sent an AuthnRequest: its ID (what the IdP answers) and the context Latchkey keeps. */
async function sentRequest(overrides: Partial<SamlResponseContext> = {}) {
  const sent = await sendAuthnRequest(hasher, {
    sp,
    idp: metadata,
    nameIdFormat: NAME_ID_FORMATS.persistent,
    relayState: 'azr_pending.handle',
    nowMs: Date.now(),
    key: { privateKey: spKey.privateKey, certificatePem: spKey.certificate },
  });
  const { id: requestId } = await authnRequestIdIn(idp, spMetadata(), sent.location);
  const context: SamlResponseContext = {
    environmentId: 'env_1',
    connectionId: 'idp_conn1',
    sp,
    idp: metadata,
    nameIdFormat: NAME_ID_FORMATS.persistent,
    requestIdHash: sent.idHash,
    ...overrides,
  };
  return { requestId, context };
}

const deps = (now = Date.now) => ({ now, hasher, replay: memoryReplay() });

async function refusal(promise: Promise<unknown>): Promise<{ code: string; reason: string; detail: string }> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof UpstreamFailure)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { code: error.error, reason: error.code, detail: error.message };
}

describe('IdP metadata', () => {
  it('reads the entity ID, the SSO URL of the redirect binding, the signing certificates and NameID formats', () => {
    expect(metadata).toEqual({
      entityId: IDP_ENTITY_ID,
      ssoUrl: SSO_URL,
      ssoBinding: 'redirect',
      certificates: [expect.stringContaining('-----BEGIN CERTIFICATE-----')],
      nameIdFormats: [NAME_ID_FORMATS.persistent],
      wantAuthnRequestsSigned: true,
    });
    expect(parseIdpMetadata(identityProvider(idpKey, HTTP_POST).getMetadata()).ssoBinding).toBe('post');
  });

  it.each([
    [(xml: string) => `<!DOCTYPE x [<!ENTITY e "e">]>${xml.replace(/^<\?xml[^>]*>/, '')}`, 'must not contain a DOCTYPE'],
    [(xml: string) => xml.replace(/<(\w+:)?KeyDescriptor[\s\S]*<\/(\w+:)?KeyDescriptor>/, ''), 'must publish a signing certificate'],
    [(xml: string) => xml.replaceAll(SSO_URL, 'http://idp.example.com/sso'), 'must be an https URL'],
    [(xml: string) => xml.replaceAll(HTTP_REDIRECT, 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact'), 'HTTP-Redirect or HTTP-POST'],
    [(xml: string) => xml.replace(/entityID="[^"]*"/, ''), 'must name its entityID'],
  ])('refuses metadata %#: %s', (change, message) => {
    expect(() => parseIdpMetadata(change(idp.getMetadata()))).toThrow(message);
  });

  it('fetches idpMetadataUrl through the outbound policy, which refuses this machine unless the stage allows it', async () => {
    const server = createServer((_, response) => response.writeHead(200, { 'content-type': 'application/xml' }).end(idp.getMetadata()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`;
    try {
      const local = new OutboundSamlMetadataFetcher(new OutboundHttp({ allowLocalTargets: true }));
      expect((await loadIdpMetadata(local, { idpMetadataUrl: url })).entityId).toBe(IDP_ENTITY_ID);
      const deployed = new OutboundSamlMetadataFetcher(new OutboundHttp({ allowLocalTargets: false }));
      await expect(loadIdpMetadata(deployed, { idpMetadataUrl: url })).rejects.toThrow('idpMetadataUrl could not be fetched');
      await expect(loadIdpMetadata(local, { idpMetadataUrl: url, idpMetadataXml: idp.getMetadata() })).rejects.toThrow('exactly one of');
    } finally {
      server.close();
    }
  });
});

describe('SP metadata and AuthnRequests', () => {
  it('publishes the entity ID, the ACS URL and the signing certificate, signed, as an IdP reads them', () => {
    const reader = samlify.ServiceProvider({ metadata: spMetadata() });
    expect(reader.entityMeta.getEntityID()).toBe(`${ISSUER}/saml/sp/idp_conn1@env_1/metadata`);
    expect(reader.entityMeta.getAssertionConsumerService('post')).toBe(`${ISSUER}/saml/sp/idp_conn1@env_1/acs`);
    expect(reader.entityMeta.isWantAssertionsSigned()).toBe(true);
    const xml = spMetadata();
    const verifier = new SignedXml({ publicCert: spKey.certificate, getCertFromKeyInfo: () => null });
    verifier.loadSignature(new DOMParser().parseFromString(xml, 'text/xml').getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature').item(0)!);
    expect(verifier.checkSignature(xml)).toBe(true);
  });

  it('sends a signed AuthnRequest over the redirect binding that the IdP verifies, and keeps only the hash of its ID', async () => {
    const { requestId, context } = await sentRequest();
    expect(requestId).toMatch(/^_[0-9a-f]{40}$/);
    expect(context.requestIdHash).toBe(await hasher.hash(requestId));
  });

  it('sends a signed AuthnRequest over the POST binding when that is the IdP SSO binding', async () => {
    const postIdp = identityProvider(idpKey, HTTP_POST);
    const sent = await sendAuthnRequest(hasher, {
      sp,
      idp: parseIdpMetadata(postIdp.getMetadata()),
      nameIdFormat: NAME_ID_FORMATS.persistent,
      relayState: 'r',
      nowMs: Date.now(),
      key: { privateKey: spKey.privateKey, certificatePem: spKey.certificate },
    });
    expect(sent.form?.action).toBe(SSO_URL);
    const parsed = await postIdp.parseLoginRequest(samlify.ServiceProvider({ metadata: spMetadata() }), 'post', { body: sent.form!.fields });
    expect(parsed.extract.request?.assertionConsumerServiceUrl).toBe(sp.acsUrl);
    const tampered = Buffer.from(Buffer.from(sent.form!.fields.SAMLRequest!, 'base64').toString().replace(sp.acsUrl, 'https://evil.example/acs')).toString('base64');
    await expect(postIdp.parseLoginRequest(samlify.ServiceProvider({ metadata: spMetadata() }), 'post', { body: { SAMLRequest: tampered } })).rejects.toBeDefined();
  });
});

describe('accepting a SAML Response', () => {
  it('answers the subject, e-mail, name and session of a signed assertion', async () => {
    const { requestId, context } = await sentRequest();
    expect(await acceptSamlResponse(deps(), context, await idpResponse(requestId))).toEqual({
      subject: 'upstream-subject-1',
      nameId: 'upstream-subject-1',
      nameIdFormat: NAME_ID_FORMATS.persistent,
      email: 'ada@example.com',
      emailVerified: false,
      name: 'Ada Lovelace',
      sessionIndex: 'idp-session-7',
      authTime: expect.any(Number),
    });
  });

  it('accepts a signed Response as well, and maps attributes as the connection says', async () => {
    const { requestId, context } = await sentRequest({ attributeMapping: { subject: 'oid', email: 'work-mail', email_verified: 'mail-verified', name: 'cn' } });
    const response = await idpResponse(requestId, { signMessage: true, attributes: { oid: 'o-42', 'work-mail': 'ada@corp.example', 'mail-verified': 'true', cn: 'Ada' } });
    expect(await acceptSamlResponse(deps(), context, response)).toMatchObject({ subject: 'o-42', email: 'ada@corp.example', emailVerified: true, name: 'Ada' });
  });

  it('refuses an assertion without the mapped subject attribute: it names no one Latchkey can keep', async () => {
    const { requestId, context } = await sentRequest({ attributeMapping: { subject: 'oid' } });
    expect((await refusal(acceptSamlResponse(deps(), context, await idpResponse(requestId)))).detail).toContain('exactly one value of oid');
  });

  it('ends a login the IdP refused (Requester / AuthnFailed) as access_denied', async () => {
    const { requestId, context } = await sentRequest();
    const refused = await refusal(acceptSamlResponse(deps(), context, await idpResponse(requestId, { status: 'urn:oasis:names:tc:SAML:2.0:status:Requester' })));
    expect(refused).toMatchObject({ code: 'access_denied', reason: 'saml_denied' });
  });

  it('refuses a response signed by another key, even with that key certificate in its KeyInfo', async () => {
    const { requestId, context } = await sentRequest();
    const refused = await refusal(acceptSamlResponse(deps(), context, await idpResponse(requestId, { signer: identityProvider(otherKey) })));
    expect(refused).toMatchObject({ code: 'access_denied', reason: 'saml_response_invalid' });
    expect(refused.detail).toContain('does not verify');
  });

  it('refuses a signed assertion whose content was changed after signing', async () => {
    const { requestId, context } = await sentRequest();
    const tampered = Buffer.from(
      Buffer.from(await idpResponse(requestId), 'base64')
        .toString()
        .replace('upstream-subject-1', 'admin'),
    ).toString('base64');
    expect((await refusal(acceptSamlResponse(deps(), context, tampered))).detail).toContain('does not verify');
  });

  it('refuses a wrapped response: a second, unsigned assertion beside the signed one', async () => {
    const { requestId, context } = await sentRequest();
    const xml = Buffer.from(await idpResponse(requestId), 'base64').toString();
    const signed = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)![0];
    const forged = signed
      .replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '')
      .replace('upstream-subject-1', 'admin')
      .replace(/ID="[^"]+"/, 'ID="_forged"');
    for (const wrapped of [xml.replace(signed, forged + signed), xml.replace(signed, `${signed}<samlp:Extensions>${forged}</samlp:Extensions>`)]) {
      expect((await refusal(acceptSamlResponse(deps(), context, Buffer.from(wrapped).toString('base64')))).detail).toContain('exactly one Assertion');
    }
  });

  it('refuses the same assertion posted twice (replay)', async () => {
    const { requestId, context } = await sentRequest();
    const response = await idpResponse(requestId);
    const once = deps();
    await acceptSamlResponse(once, context, response);
    expect((await refusal(acceptSamlResponse(once, context, response))).detail).toContain('used already');
  });

  it.each([
    ['wrong audience', { audience: 'https://other-sp.example.com' }, 'audience must be'],
    ['wrong Destination', { destination: 'https://other-sp.example.com/acs' }, 'Destination is not'],
    ['wrong InResponseTo', { inResponseTo: '_another-request' }, 'InResponseTo is not the request this login sent'],
    ['expired', { notOnOrAfterMs: Date.now() - 10 * 60_000 }, 'no bearer SubjectConfirmation holds'],
  ])('refuses a response with the %s', async (_, answer, detail) => {
    const { requestId, context } = await sentRequest();
    const refused = await refusal(acceptSamlResponse(deps(), context, await idpResponse(requestId, answer)));
    expect(refused).toMatchObject({ code: 'access_denied', reason: 'saml_response_invalid' });
    expect(refused.detail).toContain(detail);
  });

  it('refuses an assertion once its lifetime and the clock skew have passed', async () => {
    const { requestId, context } = await sentRequest();
    const response = await idpResponse(requestId);
    const later = () => Date.now() + 5 * 60_000 + 121_000;
    expect((await refusal(acceptSamlResponse(deps(later), context, response))).detail).toContain('no bearer SubjectConfirmation holds');
  });

  it('refuses a response to another login: InResponseTo must be the request this login sent', async () => {
    const first = await sentRequest();
    const second = await sentRequest();
    expect((await refusal(acceptSamlResponse(deps(), second.context, await idpResponse(first.requestId)))).detail).toContain('InResponseTo');
  });
});

/** Keys as the KMS vault makes them, kept in memory: the "wrapped" key is the PKCS#8 itself here. */
function memoryKeyVault(): SamlKeyVault & { created: number } {
  const vault = {
    created: 0,
    async createKey(request: { keyId: string }) {
      vault.created++;
      return { keyId: request.keyId, certificate: spKey.certificate, wrappedPrivateKey: spKey.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64') };
    },
    async privateKey() {
      return spKey.privateKey;
    },
  };
  return vault;
}

describe('a SAML connection', () => {
  const connectionDeps = () => ({
    issuer: ISSUER,
    now: Date.now,
    samlKeys: memoryKeyVault(),
    samlMetadata: {
      fetchMetadata: async () => {
        throw new Error('no network here');
      },
    },
  });

  it('keeps the IdP read from its metadata, persistent NameIDs by default, and a key of its own made once', async () => {
    const deps = connectionDeps();
    const created = await samlConnectionSettings(deps, CONNECTION, { idpMetadataXml: idp.getMetadata() });
    expect(created).toMatchObject({ idp: { entityId: IDP_ENTITY_ID, ssoUrl: SSO_URL }, nameIdFormat: NAME_ID_FORMATS.persistent, signingKey: { certificate: spKey.certificate } });
    const changed = await samlConnectionSettings(deps, CONNECTION, { nameIdFormat: NAME_ID_FORMATS.emailAddress, attributeMapping: { email: 'mail' } }, created);
    expect(changed).toMatchObject({ idp: created.idp, nameIdFormat: NAME_ID_FORMATS.emailAddress, attributeMapping: { email: 'mail' }, signingKey: created.signingKey });
    expect(deps.samlKeys.created).toBe(1);
    const view = samlConnectionView(ISSUER, CONNECTION, changed);
    expect(view).toMatchObject({ spEntityId: sp.entityId, acsUrl: sp.acsUrl, metadataUrl: sp.metadataUrl, spCertificate: spKey.certificate });
    expect(JSON.stringify(view)).not.toContain('wrappedPrivateKey');
    expect(samlify.ServiceProvider({ metadata: await samlConnectionMetadata(deps, CONNECTION, changed) }).entityMeta.getNameIDFormat()).toContain(NAME_ID_FORMATS.emailAddress);
  });

  it.each([
    [{}, 'needs idpMetadataXml or idpMetadataUrl'],
    [{ idpMetadataXml: '<x/>', nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient' }, 'nameIdFormat must be one of'],
    [{ idpMetadataXml: '<x/>', attributeMapping: { role: 'groups' } }, 'attributeMapping.role is not a field'],
    [{ idpMetadataXml: '<x/>', attributeMapping: { email: '' } }, 'attributeMapping.email must name a SAML attribute'],
    [{ idpMetadataUrl: 'https://idp.example.com/metadata' }, 'idpMetadataUrl could not be fetched'],
  ])('refuses settings %#: %s', async (input, message) => {
    await expect(samlConnectionSettings(connectionDeps(), CONNECTION, input as SamlConnectionInput)).rejects.toThrow(message);
  });

  it('sends the browser to the IdP with the state in RelayState, and accepts the answer for this connection and state only', async () => {
    const deps = { ...connectionDeps(), hasher, replay: memoryReplay() };
    const settings: SamlConnectionSettings = await samlConnectionSettings(deps, CONNECTION, { idpMetadataXml: idp.getMetadata() });
    const connection = { ...CONNECTION, saml: settings };
    const state = 'env_1.azr_abcdefghijklmnopqrstuvwxyz.0123456789012345678901234567890123456789012';
    const location = await startSamlUpstreamLogin(deps, connection, state);
    const request = await authnRequestIdIn(idp, spMetadata(), location);
    expect(request.relayState).toBe(state.slice('env_1.'.length));
    expect(stateOf(connection, request.relayState)).toBe(state);
    const response = await idpResponse(request.id);
    expect((await refusal(acceptSamlUpstreamResponse(deps, { ...connection, id: 'idp_conn2' }, state, response))).detail).toContain('Destination');
    expect((await refusal(acceptSamlUpstreamResponse(deps, connection, `${state.slice(0, -1)}3`, response))).detail).toContain('InResponseTo');
    expect(await acceptSamlUpstreamResponse(deps, connection, state, response)).toMatchObject({ subject: 'upstream-subject-1', email: 'ada@example.com' });
  });

  it('refuses an IdP that takes AuthnRequests over HTTP-POST only: the browser is sent with a redirect', async () => {
    const postOnly = identityProvider(idpKey, HTTP_POST).getMetadata();
    await expect(samlConnectionSettings(connectionDeps(), CONNECTION, { idpMetadataXml: postOnly })).rejects.toThrow('HTTP-Redirect binding');
  });
});
