/**
 * A minimal browser for tests of the browser endpoints: it keeps cookies per origin and path (as a
 * browser would send them: the ones whose path prefixes the request's), follows redirects that stay
 * on the issuer, and stops at the first redirect that leaves it (to an application's login page or
 * a client's redirect URI), answering that location.
 */
export class TestBrowser {
  private readonly cookies = new Map<string, { value: string; path: string }>();

  constructor(private readonly issuer: string) {}

  /** Requests `url` and follows redirects on the issuer; answers the last response and where it pointed. */
  async visit(url: string, init: RequestInit = {}): Promise<{ status: number; location?: string; body: string; setCookies: string[] }> {
    let target = url;
    let options: RequestInit = init;
    const setCookies: string[] = [];
    for (let hop = 0; hop < 10; hop++) {
      const response = await fetch(target, { ...options, redirect: 'manual', headers: { ...(options.headers as Record<string, string>), ...this.cookieHeader(target) } });
      for (const cookie of response.headers.getSetCookie()) {
        setCookies.push(cookie);
        this.store(cookie);
      }
      const location = response.headers.get('location') ?? undefined;
      const body = await response.text();
      if (response.status < 300 || response.status >= 400 || !location) return { status: response.status, body, setCookies, ...(location ? { location } : {}) };
      const next = new URL(location, target).href;
      if (!next.startsWith(`${this.issuer}/`)) return { status: response.status, location: next, body, setCookies };
      target = next;
      options = {};
    }
    throw new Error('too many redirects');
  }

  /** Forgets every cookie, as a new browser would. */
  clear(): void {
    this.cookies.clear();
  }

  cookieNames(): string[] {
    return [...this.cookies.keys()];
  }

  private store(setCookie: string): void {
    const [pair, ...attributes] = setCookie.split(';').map((part) => part.trim());
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq);
    const value = pair!.slice(eq + 1);
    const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
    const maxAge = attributes.find((a) => a.toLowerCase().startsWith('max-age='))?.slice(8);
    if (maxAge === '0' || value === '') this.cookies.delete(name);
    else this.cookies.set(name, { value, path });
  }

  private cookieHeader(url: string): Record<string, string> {
    if (!url.startsWith(`${this.issuer}/`)) return {};
    const path = new URL(url).pathname;
    const sent = [...this.cookies].filter(([, cookie]) => path.startsWith(cookie.path)).map(([name, cookie]) => `${name}=${cookie.value}`);
    return sent.length ? { cookie: sent.join('; ') } : {};
  }
}
