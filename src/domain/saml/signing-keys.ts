import type { KeyObject } from 'node:crypto';
import type { SamlSigningKey } from '../clients/model';

/**
 * Each SAML client has its own RSA signing key, so rotating a client's certificate replaces the key,
 * and a key never signs for two service providers. The private key is kept only encrypted under
 * KMS (in the client's record); the public half is published as a certificate in the metadata.
 */
export type { SamlSigningKey };

/** Makes and opens SAML client keys; one AWS implementation in `src/adapters/kms-saml-keys.ts`. */
export interface SamlKeyVault {
  /** A new key pair for the client and a certificate for it, valid from `nowMs` for `validDays`. */
  createKey(request: { clientId: string; keyId: string; nowMs: number; validDays: number }): Promise<Omit<SamlSigningKey, 'createdAt'>>;
  /** The private key to sign with (decrypted by KMS, cached per key in this container). */
  privateKey(clientId: string, key: SamlSigningKey): Promise<KeyObject>;
}
