import { InvalidRequest, NotFound } from '../../errors';
import { parseClientId } from '../../ids';
import { idpConnectionById, type IdpConnection, type IdpConnectionStore } from '../../idp-connections';
import {
  completeUpstreamLogin,
  UpstreamFailure,
  type UpstreamCompletion,
  type UpstreamDeps,
  type UpstreamIdentity,
  type UpstreamProtocol,
  type UpstreamStart,
} from '../../login/upstream';
import type { SamlKeyVault } from '../../saml/signing-keys';
import { type ConnectionName, samlConnectionMetadata } from './connection';
import { acceptSamlUpstreamResponse, type SamlConnectionRef, type SamlUpstreamDeps, startSamlUpstreamLogin, stateOf } from './login';

/**
 * SAML in the login engine's brokering (`src/domain/login/upstream.ts`): the `saml` upstream
 * protocol, the connection's assertion consumer service and its SP metadata.
 *
 * Rules, in the order they are checked:
 * 1. The URL names the connection as `{connectionId}@{environmentId}`; anything else is unknown.
 * 2. At the ACS, `SAMLResponse` and `RelayState` come once each; the RelayState puts the login state
 *    back together, and the engine matches it to the pending login and its connection (which must
 *    be the one this ACS URL names: a response posted to another connection's ACS is refused).
 *    The browser binding is not checked here: the IdP's POST is cross-site, so the binding cookie
 *    (SameSite=Lax) is checked at the authorization endpoint, where the login verifier is redeemed.
 * 3. The Response is checked by `response.ts` against the connection's pinned IdP; a refusal ends the
 *    login at the client as `access_denied`, its rule in the log and its code in the audit log.
 * 4. The SP metadata is served for SAML connections only, enabled or not (an IdP administrator may
 *    set the IdP up before the connection is enabled).
 */

export class SamlUpstream implements UpstreamProtocol {
  constructor(private readonly deps: Omit<SamlUpstreamDeps, 'replay'>) {}

  async begin(connection: IdpConnection, start: UpstreamStart): Promise<string> {
    return startSamlUpstreamLogin(this.deps, samlRef(connection), start.state);
  }
}

export type AssertionConsumerDeps = UpstreamDeps & Pick<SamlUpstreamDeps, 'replay'>;

/** `POST /saml/sp/{connectionId}/acs`: the engine answers the login either way; the browser goes back to the authorization endpoint. */
export async function consumeSamlResponse(deps: AssertionConsumerDeps, urlName: string, form: URLSearchParams): Promise<UpstreamCompletion> {
  // Rule 1.
  const named = connectionName(urlName);
  if (!named) throw new InvalidRequest('this SAML assertion consumer service is unknown');
  // Rule 2.
  for (const field of ['SAMLResponse', 'RelayState']) if (form.getAll(field).length > 1) throw new InvalidRequest(`${field} must not be repeated`);
  const state = stateOf(named, form.get('RelayState') ?? undefined);
  return completeUpstreamLogin(deps, {
    type: 'saml',
    state,
    async verify(connection): Promise<UpstreamIdentity> {
      if (connection.id !== named.id) throw new UpstreamFailure('saml_wrong_acs', `the Response for connection ${connection.id} was posted to the ACS of ${named.id}`);
      // Rule 3.
      const identity = await acceptSamlUpstreamResponse(deps, samlRef(connection), state!, form.get('SAMLResponse') ?? undefined);
      return {
        subject: identity.subject,
        ...(identity.email !== undefined ? { email: identity.email } : {}),
        emailVerified: identity.emailVerified,
        ...(identity.name !== undefined ? { name: identity.name } : {}),
      };
    },
  });
}

/** `GET /saml/sp/{connectionId}/metadata` (public): the SP metadata an IdP administrator imports. */
export interface ServiceProviderMetadataDeps {
  readonly connections: Pick<IdpConnectionStore, 'listIdpConnections'>;
  readonly issuer: string;
  readonly samlKeys: SamlKeyVault;
}

export async function serviceProviderMetadata(deps: ServiceProviderMetadataDeps, urlName: string): Promise<string> {
  const named = connectionName(urlName);
  const connection = named && (await idpConnectionById(deps.connections, named.environmentId, named.id));
  // Rule 4.
  if (!connection?.saml) throw new NotFound(`SAML connection "${urlName.slice(0, 80)}"`);
  return samlConnectionMetadata(deps, connection, connection.saml);
}

function connectionName(urlName: string): ConnectionName | undefined {
  const parsed = parseClientId(urlName);
  return parsed?.principalId.startsWith('idp_') ? { id: parsed.principalId, environmentId: parsed.environmentId } : undefined;
}

function samlRef(connection: IdpConnection): SamlConnectionRef {
  if (!connection.saml) throw new UpstreamFailure('connection_invalid', `IDP connection ${connection.id} has no SAML settings`);
  return { id: connection.id, environmentId: connection.environmentId, saml: connection.saml };
}
