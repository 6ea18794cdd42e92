import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretHasher } from '../primitives';

/**
 * Sealing an upstream ID token for keeping with a Latchkey session (the upstream logout's
 * `id_token_hint`): AES-256-GCM under a key derived from Latchkey's pepper by its keyed hash, so a
 * table read gives nothing an attacker could present upstream. `v1.{iv}.{ciphertext and tag}`.
 */

const LABEL = 'latchkey:upstream-id-token-seal:v1';

async function key(hasher: SecretHasher): Promise<Buffer> {
  const derived = Buffer.from(await hasher.hash(LABEL), 'base64url');
  if (derived.length !== 32) throw new TypeError('the keyed hash must give 32 bytes');
  return derived;
}

export async function sealUpstreamToken(hasher: SecretHasher, token: string): Promise<string> {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await key(hasher), iv);
  const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
}

/** The token, or undefined when the seal is not one of Latchkey's (or was altered). */
export async function openUpstreamToken(hasher: SecretHasher, sealed: string): Promise<string | undefined> {
  const [version, iv, body] = sealed.split('.');
  if (version !== 'v1' || !iv || !body) return undefined;
  try {
    const bytes = Buffer.from(body, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', await key(hasher), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
