import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { bitString, booleanValue, explicit, implicitPrimitive, nullValue, objectIdentifier, octetString, sequence, set, time, unsignedInteger, utf8String } from './der';

/**
 * Self-signed X.509 v3 certificates (RFC 5280), built as DER here and signed by whoever holds the
 * private key: KMS for the SAML signing certificate (the private key never leaves KMS), node:crypto
 * for the local runtime's HTTPS server.
 *
 * Rules this module enforces:
 * - Serial numbers are 128 random bits (positive), so no two certificates share one.
 * - Only SHA-256 signatures: sha256WithRSAEncryption or ecdsa-with-SHA256.
 * - Basic constraints (critical) say "not a CA"; key usage (critical) is what the caller names.
 */

export type CertificateAlgorithm = 'RSA-SHA256' | 'ECDSA-SHA256';

export interface CertificateRequest {
  /** DER SubjectPublicKeyInfo of the key being certified (also the signing key: self-signed). */
  readonly subjectPublicKeyInfo: Buffer;
  readonly algorithm: CertificateAlgorithm;
  readonly commonName: string;
  readonly organization?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly keyUsage: readonly ('digitalSignature' | 'keyEncipherment')[];
  /** Adds extended key usage serverAuth. */
  readonly serverAuth?: boolean;
  /** Subject alternative names: DNS names and IP addresses. */
  readonly altNames?: readonly string[];
}

/** Signs the DER TBSCertificate; answers the signature as the algorithm defines it (DER for ECDSA). */
export type TbsSigner = (tbsCertificate: Buffer) => Promise<Buffer> | Buffer;

const ALGORITHMS: Record<CertificateAlgorithm, Buffer> = {
  'RSA-SHA256': sequence(objectIdentifier('1.2.840.113549.1.1.11'), nullValue()),
  'ECDSA-SHA256': sequence(objectIdentifier('1.2.840.10045.4.3.2')),
};
const KEY_USAGE_BITS = { digitalSignature: 0x80, keyEncipherment: 0x20 } as const;

export async function buildSelfSignedCertificate(request: CertificateRequest, sign: TbsSigner): Promise<string> {
  const algorithm = ALGORITHMS[request.algorithm];
  const name = sequence(
    ...(request.organization ? [set(sequence(objectIdentifier('2.5.4.10'), utf8String(request.organization)))] : []),
    set(sequence(objectIdentifier('2.5.4.3'), utf8String(request.commonName))),
  );
  const tbs = sequence(
    explicit(0, unsignedInteger(2)),
    unsignedInteger(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    algorithm,
    name,
    sequence(time(request.notBefore), time(request.notAfter)),
    name,
    request.subjectPublicKeyInfo,
    explicit(3, sequence(...extensions(request))),
  );
  const signature = await sign(tbs);
  return toPem(sequence(tbs, algorithm, bitString(signature)));
}

function extensions(request: CertificateRequest): Buffer[] {
  const extension = (oid: string, critical: boolean, value: Buffer) => sequence(objectIdentifier(oid), ...(critical ? [booleanValue(true)] : []), octetString(value));
  const usage = request.keyUsage.reduce((bits, name) => bits | KEY_USAGE_BITS[name], 0);
  const unused = usage & 0x20 ? 5 : 7;
  const list = [extension('2.5.29.19', true, sequence()), extension('2.5.29.15', true, bitString(Buffer.from([usage]), unused))];
  if (request.serverAuth) list.push(extension('2.5.29.37', false, sequence(objectIdentifier('1.3.6.1.5.5.7.3.1'))));
  if (request.altNames?.length) {
    list.push(extension('2.5.29.17', false, sequence(...request.altNames.map(altName))));
  }
  return list;
}

function altName(value: string): Buffer {
  const bare = value.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return implicitPrimitive(7, Buffer.from(bare.split('.').map(Number)));
  if (family === 6) return implicitPrimitive(7, ipv6Bytes(bare));
  return implicitPrimitive(2, Buffer.from(value, 'ascii'));
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = address.includes('::') ? [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail)] : groups(address);
  return Buffer.from(all.flatMap((group) => [parseInt(group, 16) >> 8, parseInt(group, 16) & 0xff]));
}

export function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
