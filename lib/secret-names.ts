/**
 * Names of the secrets Latchkey expects under `latchkey/<stage>/` that neither the stack nor the
 * functions create, shared by the stack's grants and the operator commands that create them.
 */

/** The canary service account's credentials (`{"clientId": …, "clientSecret": …}`); `npm run create-canary-account` writes it. */
export const canarySecretName = (stage: string): string => `latchkey/${stage}/canary`;
