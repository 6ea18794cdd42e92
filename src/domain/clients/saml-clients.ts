import { InvalidRequest, NotFound, type FieldProblem } from '../errors';
import { formatClientId, isId, newId, parseClientId } from '../ids';
import { idpMetadataXml } from '../saml/metadata';
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
 * an absolute URI (a URL or a URN) of at most 1024 characters. Rotating the certificate issues a new
 * one (new serial and validity) for the same key.
 */

export const SAML_CERTIFICATE_VALID_DAYS = 3650;

export type SamlClientInput = { -readonly [K in keyof SamlClientSettings]?: SamlClientSettings[K] | null };

export function samlUrls(issuer: string, clientId: string): Pick<SamlClient, 'ssoUrl' | 'idpEntityId' | 'metadataUrl'> {
  const base = `${issuer}/saml/${clientId}`;
  return { idpEntityId: base, ssoUrl: `${base}/sso`, metadataUrl: `${base}/metadata` };
}

export function samlClientView(issuer: string, client: StoredSamlClient): SamlClient {
  return { ...client, ...samlUrls(issuer, client.clientId) };
}

export async function createSamlClient(deps: SamlRegistryDeps, caller: Caller, applicationId: string, input: SamlClientInput): Promise<SamlClient> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  const settings = checkSettings(undefined, input);
  await requireApplication(deps, caller, applicationId);
  const id = newId('cl');
  const clientId = formatClientId(id, caller.environmentId);
  const certificate = await issueCertificate(deps, clientId);
  const now = timestamp(deps.now);
  const client: StoredSamlClient = {
    ...settings,
    id,
    clientId,
    applicationId,
    environmentId: caller.environmentId,
    tenantId: caller.tenantId,
    protocol: 'saml',
    certificate,
    createdAt: now,
    updatedAt: now,
  };
  await deps.clients.createClient(client);
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

export async function updateSamlClient(
  deps: SamlRegistryDeps,
  caller: Caller,
  applicationId: string,
  clientRef: string,
  input: SamlClientInput,
): Promise<SamlClient> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  const current = await loadClient(deps, caller, applicationId, clientRef, 'saml');
  const settings = checkSettings(current, input);
  const updated = await deps.clients.updateClient(caller.environmentId, current.id, {
    ...settings,
    description: settings.description ?? null,
    updatedAt: timestamp(deps.now),
  });
  if (!updated) throw new NotFound(`SAML client "${clientRef}"`);
  return samlClientView(deps.issuer, updated as StoredSamlClient);
}

export async function deleteSamlClient(deps: SamlRegistryDeps, caller: Caller, applicationId: string, clientRef: string): Promise<void> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  const client = await loadClient(deps, caller, applicationId, clientRef, 'saml');
  if (!(await deps.clients.deleteClient(caller.environmentId, client.id))) throw new NotFound(`SAML client "${clientRef}"`);
}

/** A new signing certificate for the client; the SP must load the metadata (or the certificate) again. */
export async function rotateSamlCertificate(deps: SamlRegistryDeps, caller: Caller, applicationId: string, clientRef: string): Promise<SamlClient> {
  requirePermission(caller, 'APPLICATIONS_EDIT');
  const client = await loadClient(deps, caller, applicationId, clientRef, 'saml');
  const certificate = await issueCertificate(deps, client.clientId);
  const updated = await deps.clients.updateClient(caller.environmentId, client.id, { certificate, updatedAt: timestamp(deps.now) });
  if (!updated) throw new NotFound(`SAML client "${clientRef}"`);
  return samlClientView(deps.issuer, updated as StoredSamlClient);
}

/** The public IdP metadata of a SAML client (no caller: SPs fetch it anonymously). */
export async function samlMetadata(deps: Pick<SamlRegistryDeps, 'clients' | 'applications' | 'issuer'>, clientId: string): Promise<string> {
  const parsed = parseClientId(clientId);
  const client = parsed && isId(parsed.principalId, 'cl') ? await deps.clients.getClient(parsed.environmentId, parsed.principalId) : undefined;
  // A client of a deleted application is gone too.
  if (!client || client.protocol !== 'saml' || !(await deps.applications.getApplication(client.environmentId, client.applicationId))) {
    throw new NotFound(`SAML client "${clientId}"`);
  }
  const urls = samlUrls(deps.issuer, client.clientId);
  return idpMetadataXml({ entityId: urls.idpEntityId, ssoUrl: urls.ssoUrl, certificatePem: client.certificate, nameIdType: client.nameIdType });
}

function issueCertificate(deps: SamlRegistryDeps, clientId: string): Promise<string> {
  return deps.certificates.issue({ commonName: clientId, validDays: SAML_CERTIFICATE_VALID_DAYS, nowMs: deps.now() });
}

function checkSettings(current: SamlClientSettings | undefined, input: SamlClientInput): SamlClientSettings {
  const merged: Record<string, unknown> = current
    ? { name: current.name, description: current.description, acsUrl: current.acsUrl, spEntityId: current.spEntityId, nameIdType: current.nameIdType }
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
  if (problems.length > 0) {
    throw new InvalidRequest(`invalid SAML client settings: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { fields: problems });
  }
  return {
    name: settings.name,
    ...(settings.description !== undefined ? { description: settings.description } : {}),
    acsUrl: settings.acsUrl,
    spEntityId: settings.spEntityId,
    nameIdType: settings.nameIdType,
  };
}
