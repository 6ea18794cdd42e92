import * as oauth from 'oauth4webapi';

/** What tests that use oauth4webapi as the client share: the local runtime speaks plain HTTP. */

/** oauth4webapi's options for a runtime on plain HTTP. */
export const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** The authorization server metadata of the runtime at `url`, as oauth4webapi reads its OpenID Connect discovery document. */
export async function discoverAuthorizationServer(url: string): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(url);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oidc' }));
}
