import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { WebhookSecretRef } from '../domain/model';
import type { WebhookSecretVault } from '../domain/webhook-settings';
import { LatchkeyError } from '../domain/errors';
import { webhookSecretName } from '../webhook/secret-name';

/**
 * Webhook secrets in Secrets Manager, one secret per application named
 * `{prefix}{environmentId}/{applicationId}` (the prefix is `latchkey/<stage>/webhook/`, the only
 * names the functions' IAM policies allow). The table keeps the secret's ARN and current version.
 *
 * A version's value never changes, so values are cached per container by ARN and version: a new
 * secret is a new version and takes effect at once, without a cache to wait out.
 */
export class SecretsManagerWebhookVault implements WebhookSecretVault {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(
    private readonly secrets: SecretsManagerClient,
    private readonly prefix: string,
    /** What the secrets are, for their description in Secrets Manager (the same vault keeps upstream IDP connections' secrets). */
    private readonly what = 'enrichment webhook secret',
  ) {}

  async put(environmentId: string, applicationId: string, value: string): Promise<WebhookSecretRef> {
    const name = webhookSecretName(this.prefix, environmentId, applicationId);
    try {
      return await this.putValue(name, value);
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    try {
      const { ARN, VersionId } = await this.secrets.send(
        new CreateSecretCommand({ Name: name, SecretString: value, Description: `Latchkey ${this.what} of ${applicationId} (${environmentId})` }),
      );
      return { secretId: ARN!, versionId: VersionId! };
    } catch (error) {
      // Another request created it first: make ours the current value.
      if (error instanceof ResourceExistsException) return this.putValue(name, value);
      // A secret deleted a moment ago can take a little while to free its name.
      if (error instanceof InvalidRequestException) {
        throw new LatchkeyError(503, 'temporarily_unavailable', 'the previous webhook secret is still being deleted; try again in a minute', {
          cause: error,
          headers: { 'retry-after': '60' },
        });
      }
      throw error;
    }
  }

  read(ref: WebhookSecretRef): Promise<string> {
    const key = `${ref.secretId}@${ref.versionId}`;
    let value = this.cache.get(key);
    if (!value) {
      value = this.secrets.send(new GetSecretValueCommand({ SecretId: ref.secretId, VersionId: ref.versionId })).then(({ SecretString }) => {
        if (!SecretString) throw new TypeError(`webhook secret ${ref.secretId} has no string value`);
        return SecretString;
      });
      value.catch(() => this.cache.delete(key));
      if (this.cache.size >= 200) this.cache.clear();
      this.cache.set(key, value);
    }
    return value;
  }

  async remove(ref: WebhookSecretRef): Promise<void> {
    for (const key of this.cache.keys()) if (key.startsWith(`${ref.secretId}@`)) this.cache.delete(key);
    await this.deleteSecret(ref.secretId);
  }

  async removeOf(environmentId: string, applicationId: string): Promise<void> {
    const name = webhookSecretName(this.prefix, environmentId, applicationId);
    // Cached by ARN, which is the name and a random suffix.
    for (const key of this.cache.keys()) if (key.includes(`:secret:${name}-`)) this.cache.delete(key);
    await this.deleteSecret(name);
  }

  private async deleteSecret(secretId: string): Promise<void> {
    try {
      await this.secrets.send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }

  private async putValue(name: string, value: string): Promise<WebhookSecretRef> {
    const { ARN, VersionId } = await this.secrets.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    return { secretId: ARN!, versionId: VersionId! };
  }
}
