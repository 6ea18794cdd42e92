import type { Resource } from './model';

/**
 * The built-in resource `latchkey`: Latchkey's own management API. Its permissions are what a
 * service account needs to call each management operation. It exists in every environment, is
 * defined here rather than stored, and cannot be changed or deleted.
 */
export const LATCHKEY_RESOURCE_KEY = 'latchkey';

export const MANAGEMENT_PERMISSIONS = [
  'SERVICE_ACCOUNTS_READ',
  'SERVICE_ACCOUNTS_EDIT',
  'RESOURCES_READ',
  'RESOURCES_EDIT',
  'ENVIRONMENT_READ',
  'ENVIRONMENT_EDIT',
  'APPLICATIONS_READ',
  'APPLICATIONS_EDIT',
  'IDP_CONNECTIONS_READ',
  'IDP_CONNECTIONS_EDIT',
  'USERS_READ',
  // Disabling, deleting and signing out end users; nothing an end user holds is beyond it.
  'USERS_EDIT',
  'GENERATE_DELEGATED_ACCESS_TOKEN',
  // Changing grants on customer resources: a separate duty from managing accounts, so an account
  // manager cannot hand out access to the APIs that trust Latchkey tokens.
  'PERMISSIONS_GRANT',
  'LOGIN_REQUESTS_ACCEPT',
  // Reading the audit log (who did what): a duty of its own, so auditors need no edit permission.
  'AUDIT_READ',
  // Token exchange (RFC 8693): trading a token the account was given for a narrower one on its subject's behalf.
  'TOKEN_EXCHANGE',
] as const;

export type ManagementPermission = (typeof MANAGEMENT_PERMISSIONS)[number];

/** The built-in permissions among `grants`, as the code defines them now (a stored name it no longer defines counts for nothing). */
export function managementPermissionsOf(grants: Readonly<Record<string, readonly string[]>>): string[] {
  return (grants[LATCHKEY_RESOURCE_KEY] ?? []).filter((permission) => (MANAGEMENT_PERMISSIONS as readonly string[]).includes(permission));
}

/** The management API's audience: the `/v1` base URL of the deployment. */
export function latchkeyAudience(issuer: string): string {
  return `${issuer}/v1`;
}

export function latchkeyResource(issuer: string): Resource {
  return {
    key: LATCHKEY_RESOURCE_KEY,
    name: 'Latchkey management API',
    description: 'Built in: the permissions that Latchkey management operations require.',
    audience: latchkeyAudience(issuer),
    permissions: MANAGEMENT_PERMISSIONS,
    builtIn: true,
  };
}
