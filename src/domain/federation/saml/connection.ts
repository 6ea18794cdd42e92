import type { SamlSigningKey } from '../../clients/model';
import { SAML_CERTIFICATE_VALID_DAYS } from '../../clients/saml-clients';
import { InvalidRequest } from '../../errors';
import { newId } from '../../ids';
import type { Clock } from '../../primitives';
import type { SamlKeyVault } from '../../saml/signing-keys';
import { ATTRIBUTE_MAPPING_FIELDS, type AttributeMapping } from './attributes';
import { type IdpMetadata, loadIdpMetadata, type SamlMetadataFetcher } from './idp-metadata';
import { CONNECTION_NAME_ID_FORMATS, NAME_ID_FORMATS, type ServiceProviderUrls, serviceProviderUrls, signedSpMetadataXml } from './sp-metadata';

/**
 * The SAML settings of an IDP connection of type `saml`: what the administrator gives, checked
 * and turned into what Latchkey keeps.
 *
 * Rules:
 * - Exactly one of `idpMetadataXml` and `idpMetadataUrl` when the connection is created; on a
 *   change, either one replaces the IdP (metadata read again, certificates pinned again), neither
 *   keeps it. The URL is fetched then, through the outbound policy, not at every login: a
 *   certificate Latchkey trusts changes only when an administrator changes the connection.
 * - `nameIdFormat` is persistent (default), emailAddress or unspecified; never transient (end users
 *   are kept by the NameID).
 * - `attributeMapping` names SAML attributes for `subject`, `email`, `email_verified`, `name` only,
 *   each at most 256 characters.
 * - The IdP takes AuthnRequests over HTTP-Redirect (the browser is sent there with a redirect).
 * - The connection gets its own RSA signing key once, wrapped by KMS as a SAML client's (the
 *   connection's `{id}@{environmentId}` in the encryption context); the private key is never shown.
 */

export interface SamlConnectionInput {
  readonly idpMetadataXml?: string;
  readonly idpMetadataUrl?: string;
  readonly nameIdFormat?: string;
  /** `null` removes the mapping. */
  readonly attributeMapping?: AttributeMapping | null;
}

/** What a SAML connection keeps. */
export interface SamlConnectionSettings {
  /** Where the metadata was fetched from, when it was given as a URL. */
  readonly idpMetadataUrl?: string;
  readonly idp: IdpMetadata;
  readonly nameIdFormat: string;
  readonly attributeMapping?: AttributeMapping;
  readonly signingKey: SamlSigningKey;
}

/** What callers see: the settings without the wrapped key, and what to give the IdP administrator. */
export interface SamlConnectionView extends Omit<SamlConnectionSettings, 'signingKey'> {
  readonly spEntityId: string;
  readonly acsUrl: string;
  readonly metadataUrl: string;
  readonly spCertificate: string;
}

export interface SamlConnectionDeps {
  readonly issuer: string;
  readonly now: Clock;
  readonly samlKeys: SamlKeyVault;
  readonly samlMetadata: SamlMetadataFetcher;
}

const MAX_MAPPING_LENGTH = 256;

/** A connection as its SAML settings need it: the ID and environment name its URLs and its key. */
export interface ConnectionName {
  readonly id: string;
  readonly environmentId: string;
}

/** The name of the connection's key in KMS's encryption context (and the key cache): its URL name. */
export const keyOwner = (connection: ConnectionName): string => `${connection.id}@${connection.environmentId}`;

export async function samlConnectionSettings(
  deps: SamlConnectionDeps,
  connection: ConnectionName,
  input: SamlConnectionInput,
  current?: SamlConnectionSettings,
): Promise<SamlConnectionSettings> {
  const nameIdFormat = input.nameIdFormat ?? current?.nameIdFormat ?? NAME_ID_FORMATS.persistent;
  if (!(CONNECTION_NAME_ID_FORMATS as readonly string[]).includes(nameIdFormat)) {
    throw new InvalidRequest(`nameIdFormat must be one of ${CONNECTION_NAME_ID_FORMATS.join(', ')}`);
  }
  const attributeMapping = input.attributeMapping === null ? undefined : (input.attributeMapping ?? current?.attributeMapping);
  if (attributeMapping !== undefined) checkMapping(attributeMapping);
  const newMetadata = input.idpMetadataXml !== undefined || input.idpMetadataUrl !== undefined;
  if (!newMetadata && !current) throw new InvalidRequest('a SAML connection needs idpMetadataXml or idpMetadataUrl');
  const idp = newMetadata ? await loadIdpMetadata(deps.samlMetadata, input) : current!.idp;
  // Latchkey sends the browser to the IdP with a redirect, so the IdP must take AuthnRequests so.
  if (idp.ssoBinding !== 'redirect') throw new InvalidRequest('the IdP metadata must have a SingleSignOnService for the HTTP-Redirect binding');
  const idpMetadataUrl = newMetadata ? input.idpMetadataUrl : current?.idpMetadataUrl;
  const signingKey =
    current?.signingKey ??
    ({
      ...(await deps.samlKeys.createKey({ clientId: keyOwner(connection), keyId: newId('key'), nowMs: deps.now(), validDays: SAML_CERTIFICATE_VALID_DAYS })),
      createdAt: new Date(deps.now()).toISOString(),
    } satisfies SamlSigningKey);
  return {
    ...(idpMetadataUrl !== undefined ? { idpMetadataUrl } : {}),
    idp,
    nameIdFormat,
    ...(attributeMapping !== undefined ? { attributeMapping } : {}),
    signingKey,
  };
}

export function samlConnectionView(issuer: string, connection: ConnectionName, settings: SamlConnectionSettings): SamlConnectionView {
  const { signingKey, ...shown } = settings;
  const urls = serviceProviderUrls(issuer, connection);
  return { ...shown, spEntityId: urls.entityId, acsUrl: urls.acsUrl, metadataUrl: urls.metadataUrl, spCertificate: signingKey.certificate };
}

/** The SP metadata of the connection, signed by its key. */
export async function samlConnectionMetadata(deps: Pick<SamlConnectionDeps, 'issuer' | 'samlKeys'>, connection: ConnectionName, settings: SamlConnectionSettings): Promise<string> {
  const urls: ServiceProviderUrls = serviceProviderUrls(deps.issuer, connection);
  const privateKey = await deps.samlKeys.privateKey(keyOwner(connection), settings.signingKey);
  return signedSpMetadataXml({ urls, certificates: [settings.signingKey.certificate], nameIdFormat: settings.nameIdFormat }, privateKey);
}

function checkMapping(mapping: AttributeMapping): void {
  if (typeof mapping !== 'object' || Array.isArray(mapping)) throw new InvalidRequest('attributeMapping must be an object');
  for (const [field, value] of Object.entries(mapping)) {
    if (!(ATTRIBUTE_MAPPING_FIELDS as readonly string[]).includes(field))
      throw new InvalidRequest(`attributeMapping.${field} is not a field; use ${ATTRIBUTE_MAPPING_FIELDS.join(', ')}`);
    if (typeof value !== 'string' || value === '' || value.length > MAX_MAPPING_LENGTH) {
      throw new InvalidRequest(`attributeMapping.${field} must name a SAML attribute (1 to ${MAX_MAPPING_LENGTH} characters)`);
    }
  }
}
