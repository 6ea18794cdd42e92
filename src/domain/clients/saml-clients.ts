import { X509Certificate } from 'node:crypto';
import { Conflict, InvalidRequest, NotFound, type FieldProblem } from '../errors';
import { formatClientId, isId, newId, parseClientId } from '../ids';
import { idpMetadataXml, signMetadata } from '../saml/metadata';
import type { SamlSigningKey } from '../saml/signing-keys';
import { requirePermission, type Caller } from '../caller';
import type { SamlClient, SamlClientSettings, StoredSamlClient } from './model';
import { webUrlProblem } from './redirect-uris';
import { loadClient, requireApplication, timestamp, type SamlRegistryDeps } from './registry';

/**
 * SAML clients of an application. The owner sets the SP's assertion consumer service URL,
 * entity ID and NameID type; Latchkey generates the client ID, its SSO URL and IdP entity ID
 * (derived from the issuer and the client ID) and a signing certificate for its KMS RSA key, and
 * serves IdP metadata at the metadata URL.
 *
 * Rules: `acsUrl` is https (http only on local hosts), without fragment or wildcard; `spEntityId` is
 * an absolute URI (a URL or a URN) of at most 1024 characters; `spSigningCertificate` is a PEM X.509
 * certificate of an RSA key, required when `requireSignedRequests` is true.
 *
 * An `spEntityId` names one SAML client of the environment (a second one answers 409): the SSO URL
 * of a client is told apart by its client ID, but a service provider that trusts two of them could
 * not tell which assertions are for which.
 *
 * Certificate rollover, in two calls of the rotation endpoint: the first makes a new key pair and
 * certificate and publishes it in the metadata beside the current one (assertions are still signed
 * with the current key); the second makes it current and withdraws the old key and certificate
 * from the record and the metadata. The overlap is the time between the two calls, which the owner
 * chooses after the service providers have loaded the metadata again.
 */

export const SAML_CERTIFICATE_VALID_DAYS = 3650;

export type SamlClientInput = { -readonly [K in keyof SamlClientSettings]?: SamlClientSettings[K] | null };

export function samlUrls(issuer: string, clientId: string): Pick<SamlClient, 'ssoUrl' | 'idpEntityId' | 'metadataUrl'> {
  const base = `${issuer}/saml/${clientId}`;
  return { idpEntityId: base, ssoUrl: `${base}/sso`, metadataUrl: `${base}/metadata` };
}

export function samlClientView(issuer: string, client: StoredSamlClient): SamlClient {
  const { signingKey: _current, nextSigningKey, ...shown } = client;
  return { ...shown, ...(nextSigningKey ? { nextCertificate: nextSigningKey.certificate } : {}), ...samlUrls(issuer, client.clientId) };
}

export async function createSamlClient(deps: SamlRegistryDeps, caller: Caller, applicationId: string, input: SamlClientInput): Promise<SamlClient> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  const settings = checkSettings(undefined, input);
  await requireApplication(deps, caller, applicationId);
  const id = newId('cl');
  const clientId = formatClientId(id, caller.environmentId);
  await claimEntityId(deps, caller.environmentId, settings.spEntityId, id);
  const signingKey = await newSigningKey(deps, clientId).catch(async (error: unknown) => {
    await deps.clients.releaseSamlEntityId(caller.environmentId, settings.spEntityId, id);
    throw error;
  });
  const now = timestamp(deps.now);
  const client: StoredSamlClient = {
    ...settings,
    id,
    clientId,
    applicationId,
    environmentId: caller.environmentId,
    tenantId: caller.tenantId,
    protocol: 'saml',
    certificate: signingKey.certificate,
    signingKey,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await deps.clients.createClient(client);
  } catch (error) {
    await deps.clients.releaseSamlEntityId(caller.environmentId, settings.spEntityId, id);
    throw error;
  }
  return samlClientView(deps.issuer, client);
}

export async function listSamlClients(deps: SamlRegistryDeps, caller: Caller, applicationId: string): Promise<{ items: SamlClient[] }> {
  requirePermission(caller, 'APPLICATIONS_READ');
  await requireApplication(deps, caller, applicationId);
  const clients = (await deps.clients.listClients(caller.environmentId, applicationId, 'saml')) as StoredSamlClient[];
  return { items: clients.map((client) => samlClientView(deps.issuer, client)) };
}

export async function getSamlClient(deps: SamlRegistryDeps, caller: Caller, applicationId: string, clientRef: string): Promise<SamlClient> {
  requirePermission(caller, 'APPLICATIONS_READ');
  return samlClientView(deps.issuer, await loadClient(deps, caller, applicationId, clientRef, 'saml'));
}

export async function updateSamlClient(deps: SamlRegistryDeps, caller: Caller, applicationId: string, clientRef: string, input: SamlClientInput): Promise<SamlClient> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  const current = await loadClient(deps, caller, applicationId, clientRef, 'saml');
  const settings = checkSettings(current, input);
  const entityIdChanges = settings.spEntityId !== current.spEntityId;
  if (entityIdChanges) await claimEntityId(deps, caller.environmentId, settings.spEntityId, current.id);
  const updated = await deps.clients.updateClient(caller.environmentId, current.id, {
    ...settings,
    description: settings.description ?? null,
    spSigningCertificate: settings.spSigningCertificate ?? null,
    updatedAt: timestamp(deps.now),
  });
  if (!updated) {
    if (entityIdChanges) await deps.clients.releaseSamlEntityId(caller.environmentId, settings.spEntityId, current.id);
    throw new NotFound(`SAML client "${clientRef}"`);
  }
  if (entityIdChanges) await deps.clients.releaseSamlEntityId(caller.environmentId, current.spEntityId, current.id);
  return samlClientView(deps.issuer, updated as StoredSamlClient);
}

export async function deleteSamlClient(deps: SamlRegistryDeps, caller: Caller, applicationId: string, clientRef: string): Promise<void> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  const client = await loadClient(deps, caller, applicationId, clientRef, 'saml');
  // Found a moment ago: a delete that finds nothing now was done meanwhile, by this call's own
  // attempt whose answer was lost (the SDK retried it) or by a concurrent delete. Either way the
  // record is gone, as asked (DELETE is idempotent, RFC 9110 §9.2.2): never a 404 here.
  await deps.clients.deleteClient(caller.environmentId, client.id);
  await deps.clients.releaseSamlEntityId(caller.environmentId, client.spEntityId, client.id);
}

/** Reserves the entity ID; a client left behind by a deleted application gives it up. */
async function claimEntityId(deps: SamlRegistryDeps, environmentId: string, spEntityId: string, clientRef: string): Promise<void> {
  if (await deps.clients.claimSamlEntityId(environmentId, spEntityId, clientRef)) return;
  const holder = await deps.clients.samlEntityIdHolder(environmentId, spEntityId);
  const holding = holder ? await deps.clients.getClient(environmentId, holder) : undefined;
  const live = holding !== undefined && (await deps.applications.getApplication(environmentId, holding.applicationId)) !== undefined;
  if (live || !holder || !(await deps.clients.claimSamlEntityId(environmentId, spEntityId, clientRef, holder))) {
    throw new Conflict(`spEntityId "${spEntityId.slice(0, 100)}" is already the entity ID of another SAML client of this environment`);
  }
}

/**
 * One step of the certificate rollover: without a next key, makes one (new key pair, new
 * certificate) and publishes it beside the current one; with one, makes it current and withdraws
 * the old key.
 */
export async function rotateSamlCertificate(deps: SamlRegistryDeps, caller: Caller, applicationId: string, clientRef: string): Promise<SamlClient> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  const client = await loadClient(deps, caller, applicationId, clientRef, 'saml');
  const changes = client.nextSigningKey
    ? { signingKey: client.nextSigningKey, certificate: client.nextSigningKey.certificate, nextSigningKey: null }
    : { nextSigningKey: await newSigningKey(deps, client.clientId) };
  const updated = await deps.clients.updateClient(caller.environmentId, client.id, { ...changes, updatedAt: timestamp(deps.now) });
  if (!updated) throw new NotFound(`SAML client "${clientRef}"`);
  return samlClientView(deps.issuer, updated as StoredSamlClient);
}

/** The public IdP metadata of a SAML client (no caller: SPs fetch it anonymously). */
export async function samlMetadata(deps: Pick<SamlRegistryDeps, 'clients' | 'applications' | 'issuer' | 'samlKeys'>, clientId: string): Promise<string> {
  const parsed = parseClientId(clientId);
  const client = parsed && isId(parsed.principalId, 'cl') ? await deps.clients.getClient(parsed.environmentId, parsed.principalId) : undefined;
  // A client of a deleted application is gone too.
  if (client?.protocol !== 'saml' || !(await deps.applications.getApplication(client.environmentId, client.applicationId))) {
    throw new NotFound(`SAML client "${clientId}"`);
  }
  const urls = samlUrls(deps.issuer, client.clientId);
  const xml = idpMetadataXml({
    entityId: urls.idpEntityId,
    ssoUrl: urls.ssoUrl,
    certificates: [client.certificate, ...(client.nextSigningKey ? [client.nextSigningKey.certificate] : [])],
    nameIdType: client.nameIdType,
    wantSignedRequests: client.requireSignedRequests === true,
  });
  return client.signingKey ? signMetadata(xml, await deps.samlKeys.privateKey(client.clientId, client.signingKey), client.signingKey.certificate) : xml;
}

async function newSigningKey(deps: Pick<SamlRegistryDeps, 'samlKeys' | 'now'>, clientId: string): Promise<SamlSigningKey> {
  const created = await deps.samlKeys.createKey({ clientId, keyId: newId('key'), nowMs: deps.now(), validDays: SAML_CERTIFICATE_VALID_DAYS });
  return { ...created, createdAt: timestamp(deps.now) };
}

function checkSettings(current: SamlClientSettings | undefined, input: SamlClientInput): SamlClientSettings {
  const merged: Record<string, unknown> = current
    ? {
        name: current.name,
        description: current.description,
        acsUrl: current.acsUrl,
        spEntityId: current.spEntityId,
        nameIdType: current.nameIdType,
        spSigningCertificate: current.spSigningCertificate,
        requireSignedRequests: current.requireSignedRequests,
        signResponse: current.signResponse,
      }
    : { nameIdType: 'email' };
  for (const [field, value] of Object.entries(input)) if (value !== undefined) merged[field] = value ?? undefined;
  const settings = merged as unknown as SamlClientSettings;
  const problems: FieldProblem[] = [];
  if (typeof settings.name !== 'string' || !settings.name.trim()) problems.push({ path: 'name', message: 'is required' });
  if (typeof settings.acsUrl !== 'string') problems.push({ path: 'acsUrl', message: 'is required' });
  else {
    const problem = webUrlProblem(settings.acsUrl);
    if (problem) problems.push({ path: 'acsUrl', message: problem });
  }
  if (typeof settings.spEntityId !== 'string') problems.push({ path: 'spEntityId', message: 'is required' });
  else if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(settings.spEntityId) || settings.spEntityId.length > 1024) {
    problems.push({ path: 'spEntityId', message: `"${settings.spEntityId.slice(0, 100)}" is not an absolute URI (a URL or URN) of at most 1024 characters` });
  }
  if (settings.spSigningCertificate !== undefined) {
    const problem = certificateProblem(settings.spSigningCertificate);
    if (problem) problems.push({ path: 'spSigningCertificate', message: problem });
  }
  if (settings.requireSignedRequests && settings.spSigningCertificate === undefined) {
    problems.push({ path: 'requireSignedRequests', message: 'needs spSigningCertificate to verify the requests with' });
  }
  if (problems.length > 0) {
    throw new InvalidRequest(`invalid SAML client settings: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { fields: problems });
  }
  return {
    name: settings.name,
    ...(settings.description !== undefined ? { description: settings.description } : {}),
    acsUrl: settings.acsUrl,
    spEntityId: settings.spEntityId,
    nameIdType: settings.nameIdType,
    ...(settings.spSigningCertificate !== undefined ? { spSigningCertificate: settings.spSigningCertificate } : {}),
    ...(settings.requireSignedRequests !== undefined ? { requireSignedRequests: settings.requireSignedRequests } : {}),
    ...(settings.signResponse !== undefined ? { signResponse: settings.signResponse } : {}),
  };
}

function certificateProblem(pem: string): string | undefined {
  try {
    const certificate = new X509Certificate(pem);
    if (certificate.publicKey.asymmetricKeyType !== 'rsa') return 'must be the certificate of an RSA key (requests are verified with RSA-SHA256)';
    return undefined;
  } catch {
    return 'is not a PEM X.509 certificate';
  }
}
