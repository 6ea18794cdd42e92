/**
 * The Secrets Manager name of an application's webhook secret. Latchkey writes it; the enrichment
 * webhook Lambda reads it to verify requests. One function, so the two can never disagree.
 */
export function webhookSecretName(prefix: string, environmentId: string, applicationId: string): string {
  if (!/^[a-z]{2,3}_[a-z2-7]{26}$/.test(environmentId) || !/^[a-z]{2,3}_[a-z2-7]{26}$/.test(applicationId)) {
    throw new TypeError('environment and application IDs must be Latchkey IDs');
  }
  return `${prefix.replace(/\/*$/, '/')}${environmentId}/${applicationId}`;
}
