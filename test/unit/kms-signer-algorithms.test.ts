import { KMSClient } from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { KmsKeySet } from '../../src/adapters/kms-key-set';
import { SigningAlgorithmNotConfigured } from '../../src/domain/errors';

/** A KMS signer without an RSA key: a client that asks for RS256 ID tokens gets a clear refusal, before any KMS call. */
describe('KMS signer algorithms', () => {
  it('refuses RS256 with a domain error that names the way out', async () => {
    const signer = new KmsKeySet(new KMSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }), 'alias/none', ['alias/none']);
    const refusal = signer.sign({ sub: 'x' }, { alg: 'RS256' });
    await expect(refusal).rejects.toBeInstanceOf(SigningAlgorithmNotConfigured);
    await expect(refusal).rejects.toMatchObject({ code: 'invalid_request', status: 400, message: expect.stringContaining('use ES256') });
  });
});
