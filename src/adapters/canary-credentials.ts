import { GetSecretValueCommand, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseCanaryCredentials, type CanaryCredentialSource, type CanaryCredentials } from '../canary/probe';

/**
 * The canary service account's credentials in a Secrets Manager secret the operator creates
 * (`{"clientId": …, "clientSecret": …}`), read on every run so that a new secret takes effect at the
 * next minute. A missing secret or one without both fields reads as "not configured".
 */
export class SecretsManagerCanaryCredentials implements CanaryCredentialSource {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
  ) {}

  async read(): Promise<CanaryCredentials | undefined> {
    try {
      const { SecretString } = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      return SecretString === undefined ? undefined : parseCanaryCredentials(SecretString);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}
