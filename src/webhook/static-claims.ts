import type { EndUserEnrichmentPayload } from './contract';

/**
 * A claims source for the example webhook: static JSON, keyed by application ID, then by the
 * third party's subject ID, with `*` as the default at either level. For an end user, the claims
 * are `*`/`*`, then `<app>`/`*`, then `<app>`/`<subject>`, later ones overriding earlier ones:
 *
 * ```json
 * { "*": { "*": { "tier": "free" } },
 *   "app_...": { "*": { "region": "eu" }, "user-42": { "tier": "gold" } } }
 * ```
 */
export type StaticClaims = Record<string, Record<string, Record<string, unknown>>>;

export function parseStaticClaims(json: string | undefined): StaticClaims {
  if (!json?.trim()) return {};
  const value: unknown = JSON.parse(json);
  const isObject = (candidate: unknown): candidate is Record<string, unknown> => typeof candidate === 'object' && candidate !== null && !Array.isArray(candidate);
  if (!isObject(value) || !Object.values(value).every((bySubject) => isObject(bySubject) && Object.values(bySubject).every(isObject))) {
    throw new TypeError('ENRICHMENT_CLAIMS_JSON must map application IDs to objects that map subject IDs to claim objects');
  }
  return value as StaticClaims;
}

export function staticClaimsFor(table: StaticClaims, request: EndUserEnrichmentPayload): Record<string, unknown> {
  const forApplication = Object.hasOwn(table, request.application_id) ? table[request.application_id] : undefined;
  const forSubject = forApplication && Object.hasOwn(forApplication, request.external_subject_id) ? forApplication[request.external_subject_id] : undefined;
  return { ...table['*']?.['*'], ...forApplication?.['*'], ...forSubject };
}
