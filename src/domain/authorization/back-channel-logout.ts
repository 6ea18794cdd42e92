import type { StoredApplication } from '../applications';
import type { StoredOidcClient } from '../clients/model';
import { newId } from '../ids';
import type { Clock, TokenSigner } from '../ports';
import { seconds } from './deps';

/**
 * Back-channel logout (OpenID Connect Back-Channel Logout 1.0 §2.4): when a session ends, the
 * application of each OIDC client it signed in to hears of it at its `logoutUrl`, with a logout
 * token signed by Latchkey (`typ: logout+jwt`, audience the client, `sub` and `sid`, the logout
 * event, no `nonce`, two minutes to live). An application without a `logoutUrl` is not told; a
 * failure to deliver is the delivery's business (logged) and never stops the logout.
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
  if (!application?.logoutUrl) return;
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
  await deps.notifyLogout(application.logoutUrl, logoutToken);
}
