/**
 * Delivers a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.5): one form POST
 * with a short timeout, no redirects followed. The logout itself has happened already; a failure
 * here is reported to the caller's log and goes no further.
 */
export async function postLogoutToken(logoutUrl: string, logoutToken: string, onFailure: (reason: string) => void): Promise<void> {
  try {
    const response = await fetch(logoutUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Latchkey-Logout/1.0' },
      body: new URLSearchParams({ logout_token: logoutToken }),
      redirect: 'manual',
      signal: AbortSignal.timeout(2000),
    });
    await response.body?.cancel();
    if (response.status !== 200 && response.status !== 204) onFailure(`logoutUrl answered ${response.status}`);
  } catch (error) {
    onFailure(error instanceof Error ? error.name : 'request failed');
  }
}
