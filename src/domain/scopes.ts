import { LATCHKEY_RESOURCE_KEY } from './builtin-resource';
import { InvalidRequest, InvalidScope, InvalidTarget, type LatchkeyError } from './errors';
import { fitsInKey, MAX_KEY_VALUE_BYTES } from './key-values';

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

/** The one reading of a `scope` parameter (RFC 6749 §3.3), and of `prompt` alike: space-separated values, in order, each once. */
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

/** RFC 8707 §2: at most this many `resource` parameters (and as many audience scopes) in one request. */
export const MAX_RESOURCE_PARAMETERS = 10;

/**
 * Why the audience a token request names (`resource` parameters, RFC 8707, and for service accounts
 * the audience scope aliases) cannot be looked up, or undefined: too many values, or one too long
 * for a table key. The token endpoint reports it only to a client that has authenticated, so an
 * unauthenticated caller learns nothing from it; values that pass are at most 10 short keys, read
 * only after the client has authenticated.
 */
export function audienceRequestProblem(resources: readonly string[], scope?: string): LatchkeyError | undefined {
  if (resources.length > MAX_RESOURCE_PARAMETERS) {
    return new InvalidTarget(`at most ${MAX_RESOURCE_PARAMETERS} resource parameters are allowed in one request, not ${resources.length}`);
  }
  for (const resource of resources) {
    if (!resource) return new InvalidRequest('resource must not be empty');
    if (!fitsInKey(resource)) return new InvalidTarget(`a resource must be at most ${MAX_KEY_VALUE_BYTES} bytes`);
  }
  let resourceKeys: readonly string[];
  try {
    resourceKeys = parseScope(scope).resourceKeys;
  } catch {
    // A scope value Latchkey does not know: refused by the grant itself, as always.
    return undefined;
  }
  if (resourceKeys.length > MAX_RESOURCE_PARAMETERS) return new InvalidScope(`at most ${MAX_RESOURCE_PARAMETERS} audience scopes are allowed in one request`);
  if (!resourceKeys.every(fitsInKey)) return new InvalidScope(`the resource key of an audience scope must be at most ${MAX_KEY_VALUE_BYTES} bytes`);
  return undefined;
}
