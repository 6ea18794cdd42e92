import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretHasher } from '../domain/ports';

/**
 * Hashes client secrets as HMAC-SHA-256 keyed with a pepper held in Secrets Manager, so a copy of
 * the table alone is not enough to test guesses offline. The pepper is read once per container (a
 * failed read is retried on the next call) and never leaves this module.
 */
export class PepperHasher implements SecretHasher {
  private pepper: Promise<Buffer> | undefined;

  constructor(
    private readonly secrets: SecretsManagerClient,
    private readonly secretId: string,
  ) {}

  async hash(secret: string): Promise<string> {
    return createHmac('sha256', await this.loadPepper())
      .update(secret, 'utf8')
      .digest('base64url');
  }

  private loadPepper(): Promise<Buffer> {
    this.pepper ??= this.secrets.send(new GetSecretValueCommand({ SecretId: this.secretId })).then(
      ({ SecretString }) => {
        if (!SecretString || SecretString.length < 32) throw new TypeError(`secret ${this.secretId} does not hold a pepper of 32 characters or more`);
        return Buffer.from(SecretString, 'utf8');
      },
      (error: unknown) => {
        this.pepper = undefined;
        throw error;
      },
    );
    return this.pepper;
  }
}
