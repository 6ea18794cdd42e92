import { X509Certificate } from 'node:crypto';
import { InvalidRequest } from '../../errors';
import { childElements, NS, parseXml } from '../../saml/xml';

/**
 * The metadata of an upstream SAML identity provider (saml-metadata-2.0-os §2.4.3), read once when
 * a SAML connection is created or changed and kept on the connection: what Latchkey trusts is what
 * the administrator gave it (the XML) or what the metadata URL answered then, never what a later
 * message claims.
 *
 * Rules, in the order they are checked:
 * 1. The document is well-formed, without DOCTYPE, at most 512 KiB; its root is an
 *    `EntityDescriptor`, or an `EntitiesDescriptor` holding exactly one.
 * 2. The entity has an `entityID` (at most 1024 characters) and exactly one `IDPSSODescriptor`
 *    supporting the SAML 2.0 protocol.
 * 3. It publishes at least one signing certificate (`KeyDescriptor` with `use="signing"` or no
 *    `use`), each a parseable X.509 certificate of an RSA key (responses are checked with
 *    RSA-SHA256 only); these are the only certificates a response is ever checked with.
 * 4. It has a `SingleSignOnService` for the HTTP-Redirect or HTTP-POST binding (redirect preferred),
 *    at an https URL (http only for this machine, for local identity providers).
 * 5. The NameID formats it lists are answered as listed (none is fine).
 */

export const HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
export const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
export const MAX_METADATA_BYTES = 512 * 1024;

export interface IdpMetadata {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly ssoBinding: 'redirect' | 'post';
  /** PEMs of the IdP's signing certificates, in the order published. */
  readonly certificates: readonly string[];
  readonly nameIdFormats: readonly string[];
  readonly wantAuthnRequestsSigned: boolean;
}

/** Fetches an IdP's metadata URL; one implementation, through the outbound policy, in `src/adapters/`. */
export interface SamlMetadataFetcher {
  /** The body of a 200 answer, at most MAX_METADATA_BYTES; throws on anything else. */
  fetchMetadata(url: string): Promise<string>;
}

/** Where a connection's IdP metadata comes from: exactly one of the two. */
export interface IdpMetadataSource {
  readonly idpMetadataXml?: string;
  readonly idpMetadataUrl?: string;
}

export async function loadIdpMetadata(fetcher: SamlMetadataFetcher, source: IdpMetadataSource): Promise<IdpMetadata> {
  const { idpMetadataXml, idpMetadataUrl } = source;
  if ((idpMetadataXml === undefined) === (idpMetadataUrl === undefined)) throw new InvalidRequest('give exactly one of idpMetadataXml and idpMetadataUrl');
  if (idpMetadataXml !== undefined) return parseIdpMetadata(idpMetadataXml);
  let xml: string;
  try {
    xml = await fetcher.fetchMetadata(idpMetadataUrl!);
  } catch (error) {
    // The reason (refused address, status, timeout) is for the log: the URL must not scan networks.
    throw new InvalidRequest('idpMetadataUrl could not be fetched: it must answer 200 with the metadata over https from a public address', {
      internalDetail: error instanceof Error ? error.message : String(error),
    });
  }
  return parseIdpMetadata(xml);
}

export function parseIdpMetadata(xml: string): IdpMetadata {
  // Rule 1.
  if (Buffer.byteLength(xml) > MAX_METADATA_BYTES) throw new InvalidRequest(`the IdP metadata must be at most ${MAX_METADATA_BYTES} bytes`);
  const root = parseXml(xml, 'IdP metadata').documentElement!;
  const entity = entityOf(root);

  // Rule 2.
  const entityId = entity.getAttribute('entityID') ?? '';
  if (!entityId || entityId.length > 1024) throw new InvalidRequest('the IdP metadata must name its entityID (at most 1024 characters)');
  const descriptors = childElements(entity, NS.metadata, 'IDPSSODescriptor').filter((descriptor) =>
    (descriptor.getAttribute('protocolSupportEnumeration') ?? '').split(/\s+/).includes(NS.protocol),
  );
  if (descriptors.length !== 1) throw new InvalidRequest('the IdP metadata must have exactly one IDPSSODescriptor for the SAML 2.0 protocol');
  const descriptor = descriptors[0]!;

  // Rule 3.
  const certificates = childElements(descriptor, NS.metadata, 'KeyDescriptor')
    .filter((key) => (key.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((key) => [...elementsByName(key, NS.dsig, 'X509Certificate')].map((element) => toPem(element.textContent ?? '')));
  if (certificates.length === 0) throw new InvalidRequest('the IdP metadata must publish a signing certificate (KeyDescriptor use="signing")');

  // Rule 4.
  const services = childElements(descriptor, NS.metadata, 'SingleSignOnService');
  const redirect = services.find((service) => service.getAttribute('Binding') === HTTP_REDIRECT);
  const post = services.find((service) => service.getAttribute('Binding') === HTTP_POST);
  const chosen = redirect ?? post;
  if (!chosen) throw new InvalidRequest('the IdP metadata must have a SingleSignOnService for the HTTP-Redirect or HTTP-POST binding');
  const ssoUrl = chosen.getAttribute('Location') ?? '';
  if (!browserUrlAllowed(ssoUrl)) throw new InvalidRequest('the IdP SingleSignOnService Location must be an https URL');

  // Rule 5.
  const nameIdFormats = childElements(descriptor, NS.metadata, 'NameIDFormat').map((element) => (element.textContent ?? '').trim());

  return {
    entityId,
    ssoUrl,
    ssoBinding: chosen === redirect ? 'redirect' : 'post',
    certificates,
    nameIdFormats,
    wantAuthnRequestsSigned: descriptor.getAttribute('WantAuthnRequestsSigned') === 'true',
  };
}

function entityOf(root: Element): Element {
  if (root.namespaceURI === NS.metadata && root.localName === 'EntityDescriptor') return root;
  if (root.namespaceURI === NS.metadata && root.localName === 'EntitiesDescriptor') {
    const entities = childElements(root, NS.metadata, 'EntityDescriptor');
    if (entities.length === 1) return entities[0]!;
  }
  throw new InvalidRequest('the IdP metadata must be one SAML 2.0 EntityDescriptor');
}

function elementsByName(parent: Element, namespace: string, localName: string): Element[] {
  const list = parent.getElementsByTagNameNS(namespace, localName);
  return Array.from({ length: list.length }, (_, index) => list.item(index)!);
}

function toPem(base64: string): string {
  const body = base64.replace(/\s+/g, '');
  const pem = `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new InvalidRequest('a signing certificate in the IdP metadata is not a valid X.509 certificate');
  }
  if (certificate.publicKey.asymmetricKeyType !== 'rsa') throw new InvalidRequest('the IdP signing certificates must hold RSA keys (responses are checked with RSA-SHA256)');
  return pem;
}

/** https, or http to this machine (a local identity provider during development). */
function browserUrlAllowed(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname));
}
