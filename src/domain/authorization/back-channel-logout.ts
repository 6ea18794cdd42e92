import type { ApplicationStore, StoredApplication } from '../applications';
import type { StoredOidcClient } from '../clients/model';
import type { ClientStore } from '../clients/ports';
import { newId } from '../ids';
import type { Clock, TokenSigner } from '../primitives';
import { seconds } from './deps';
import type { SessionRecord } from '../login/model';
import type { AuthorizationStore } from './ports';

/**
 * Back-channel logout (OpenID Connect Back-Channel Logout 1.0 §2.4): when a session ends, each
 * OIDC client it signed in to hears of it at its own `backchannelLogoutUri` (§2.2), or else at its
 * application's `logoutUrl`, with a logout token signed by Latchkey (`typ: logout+jwt`, audience the
 * client, `sub` and `sid` (so `backchannelLogoutSessionRequired` is always met), the logout event,
 * no `nonce`, two minutes to live). A client with neither is not told; a failure to deliver is the
 * delivery's business (logged) and never stops the logout.
 */

export interface BackChannelLogoutDeps {
  readonly signer: TokenSigner;
  readonly notifyLogout: (logoutUrl: string, logoutToken: string) => Promise<void>;
  readonly now: Clock;
  readonly issuer: string;
}

export async function tellApplication(
  deps: BackChannelLogoutDeps,
  client: StoredOidcClient,
  application: StoredApplication | undefined,
  sid: string,
  userId: string,
): Promise<void> {
  const target = client.backchannelLogoutUri ?? application?.logoutUrl;
  if (!target) return;
  const iat = seconds(deps.now);
  const logoutToken = await deps.signer.sign(
    {
      iss: deps.issuer,
      aud: client.clientId,
      iat,
      exp: iat + 120,
      jti: newId('tok'),
      sub: userId,
      sid,
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
    },
    { typ: 'logout+jwt' },
  );
  await deps.notifyLogout(target, logoutToken);
}

export interface SessionEndDeps extends BackChannelLogoutDeps {
  readonly authorizations: Pick<AuthorizationStore, 'deleteSession'>;
  readonly clients: Pick<ClientStore, 'getClient'>;
  readonly applications: Pick<ApplicationStore, 'getApplication'>;
}

/**
 * Ends one session: deletes its record and tells the application of every OIDC client the session
 * signed in to (its `clientRefs`, and `alsoTell`). Only the call that deleted the record tells them,
 * so two concurrent endings send one logout token per client; `notify: false` deletes only (a
 * session already expired). `applications` lets the endings of one request read each application once.
 */
export async function endSessionAndTell(
  deps: SessionEndDeps,
  session: Pick<SessionRecord, 'id' | 'environmentId' | 'userId' | 'clientRefs'>,
  options: { readonly applications?: Map<string, Promise<StoredApplication | undefined>>; readonly notify?: boolean; readonly alsoTell?: readonly string[] } = {},
): Promise<void> {
  if (!(await deps.authorizations.deleteSession(session.environmentId, session.id)) || options.notify === false) return;
  const applications = options.applications ?? new Map<string, Promise<StoredApplication | undefined>>();
  const clientRefs = new Set([...(session.clientRefs ?? []), ...(options.alsoTell ?? [])]);
  await Promise.all(
    [...clientRefs].map(async (clientRef) => {
      const client = await deps.clients.getClient(session.environmentId, clientRef);
      if (client?.protocol !== 'oidc') return;
      if (client.backchannelLogoutUri) return tellApplication(deps, client, undefined, session.id, session.userId);
      if (!applications.has(client.applicationId)) applications.set(client.applicationId, deps.applications.getApplication(session.environmentId, client.applicationId));
      await tellApplication(deps, client, await applications.get(client.applicationId), session.id, session.userId);
    }),
  );
}
