import { LATCHKEY_RESOURCE_KEY } from './builtin-resource';
import { InvalidScope } from './errors';

/**
 * The `scope` values the token endpoint understands. Besides the standard OpenID scopes, it
 * accepts the compatibility aliases that clients of other token services send:
 * `urn:zitadel:iam:org:project:id:{resourceKey}:aud` selects a resource as audience,
 * `urn:zitadel:iam:org:projects:roles` adds role claims, and `urn:zitadel:iam:user:resourceowner`
 * adds claims naming the tenant. Anything else is refused with `invalid_scope`.
 * As in ZITADEL, the project ID `zitadel` in the audience alias names the management API itself
 * (the built-in resource `latchkey`), and the roles of every audience merge into the claim
 * `urn:zitadel:iam:org:project:roles`.
 */

/** The standard OpenID Connect scopes Latchkey supports (discovery's `scopes_supported`). */
export const STANDARD_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile', 'email', 'offline_access']);
const AUDIENCE_ALIAS = /^urn:zitadel:iam:org:project:id:([^:\s]+):aud$/;
export const ROLES_SCOPE = 'urn:zitadel:iam:org:projects:roles';
export const RESOURCE_OWNER_SCOPE = 'urn:zitadel:iam:user:resourceowner';
export const MERGED_ROLES_CLAIM = 'urn:zitadel:iam:org:project:roles';
/** The project ID by which ZITADEL clients ask for the management API's audience. */
const MANAGEMENT_PROJECT_ALIAS = 'zitadel';

const aliasedKey = (projectId: string) => (projectId === MANAGEMENT_PROJECT_ALIAS ? LATCHKEY_RESOURCE_KEY : projectId);

export interface ParsedScope {
  /** Every value as sent, in order, without duplicates. */
  readonly values: readonly string[];
  /** Resource keys selected through the audience alias. */
  readonly resourceKeys: readonly string[];
  readonly includeRoles: boolean;
  readonly includeResourceOwner: boolean;
}

/** The one reading of a `scope` parameter (RFC 6749 §3.3): space-separated values, in order, each once. */
export function splitScope(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(' ').filter(Boolean))];
}

export function parseScope(scope: string | undefined): ParsedScope {
  const values = splitScope(scope);
  const resourceKeys: string[] = [];
  for (const value of values) {
    const alias = AUDIENCE_ALIAS.exec(value);
    if (alias) resourceKeys.push(aliasedKey(alias[1]!));
    else if (!STANDARD_SCOPES.has(value) && value !== ROLES_SCOPE && value !== RESOURCE_OWNER_SCOPE) {
      throw new InvalidScope(`scope "${value}" is not supported`);
    }
  }
  return { values, resourceKeys, includeRoles: values.includes(ROLES_SCOPE), includeResourceOwner: values.includes(RESOURCE_OWNER_SCOPE) };
}

/** The resource keys that audience aliases in `scope` select; other values are ignored here. */
export function audienceAliasKeys(scope: string | undefined): string[] {
  return splitScope(scope).flatMap((value) => {
    const alias = AUDIENCE_ALIAS.exec(value);
    return alias ? [aliasedKey(alias[1]!)] : [];
  });
}
