import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../console/security-headers';
import { startTestRuntime } from '../support/local-runtime';

/** The local runtime serves the console's bundle beside the API, on the same origin, and nothing else from disk. */

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let consoleDir: string;

beforeAll(async () => {
  // An empty folder: the first request builds the bundle into it, as `npm start` does.
  consoleDir = join(mkdtempSync(join(tmpdir(), 'latchkey-console-files-')), 'dist');
  runtime = await startTestRuntime(undefined, { consoleDir });
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(join(consoleDir, '..'), { recursive: true, force: true });
});

const get = (path: string, init?: RequestInit) => fetch(`${runtime.url}${path}`, { redirect: 'manual', ...init });

describe('the console on the local runtime', () => {
  it('builds the bundle on first request and serves the page with the CSP and security headers', async () => {
    const response = await get('/console/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const html = await response.text();
    // No inline script or style: the strict CSP would refuse them.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|style=/);
    const script = /src="(app-[A-Z0-9]+\.js)"/.exec(html)![1]!;
    const asset = await get(`/console/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const built = readdirSync(consoleDir);
    expect(built).toHaveLength(3);
    expect(built).toEqual(expect.arrayContaining(['index.html', script, expect.stringMatching(/^app-[A-Z0-9]+\.css$/)]));
  });

  it('redirects /console to /console/', async () => {
    const response = await get('/console');
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe('/console/');
  });

  it('serves only the bundle’s own files: no other name, no path out of the folder', async () => {
    writeFileSync(join(consoleDir, '.secret.js'), 'secret');
    for (const path of ['/console/.secret.js', '/console/%2e%2e%2fpackage.json', '/console/..%2f..%2fpackage.json', '/console/sub/index.html', '/console/index.html.map']) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(await response.text(), path).toBe('Not Found');
    }
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await get('/console/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await get('/console/', { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('leaves every other path to the API', async () => {
    const response = await get('/consoles');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('json');
    expect((await get('/.well-known/jwks.json')).status).toBe(200);
  });
});
