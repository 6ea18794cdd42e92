import { OutboundFailure, OutboundHttp } from './outbound-http';

const http = new OutboundHttp();

/**
 * Delivers a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.5): one form POST
 * under the outbound policy (no loopback, private or metadata addresses outside the local runtime,
 * checked on the address actually connected to; no redirects followed), with a short timeout. The
 * logout itself has happened already; a failure here is reported to the caller's log and goes no
 * further.
 */
export async function postLogoutToken(logoutUrl: string, logoutToken: string, onFailure: (reason: string) => void, outbound: OutboundHttp = http): Promise<void> {
  try {
    const answer = await outbound.request(logoutUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Latchkey-Logout/1.0' },
      body: new URLSearchParams({ logout_token: logoutToken }).toString(),
      signal: AbortSignal.timeout(2000),
      maxBytes: 4096,
    });
    if (answer.status !== 200 && answer.status !== 204) onFailure(`logoutUrl answered ${answer.status}`);
  } catch (error) {
    onFailure(error instanceof OutboundFailure ? error.message : error instanceof Error ? error.name : 'request failed');
  }
}
