import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CONSOLE_SECURITY_HEADERS } from '../console/security-headers';
import { ensureConsoleBuilt } from '../console/build';

/**
 * Serves the console's static bundle under `/console/`, as CloudFront serves it from S3 in AWS: the
 * same paths, the same security headers (from `console/security-headers.ts`). The bundle is built on
 * the first request when the folder holds none or one older than the console's sources, so `npm start`
 * needs no build step.
 */

export const CONSOLE_PATH = '/console';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
// Only the bundle's own flat file names: no path separators, no dot files, nothing outside the folder.
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*\.(html|js|css)$/;

/** Answers a request under `/console`; returns false for any other path. */
export function consoleFiles(dir: string): (request: IncomingMessage, response: ServerResponse, url: URL) => Promise<boolean> {
  let ready: Promise<string> | undefined;
  return async (request, response, url) => {
    if (url.pathname !== CONSOLE_PATH && !url.pathname.startsWith(`${CONSOLE_PATH}/`)) return false;
    const headers = { ...CONSOLE_SECURITY_HEADERS };
    if (url.pathname === CONSOLE_PATH) {
      response.writeHead(308, { ...headers, location: `${CONSOLE_PATH}/` }).end();
      return true;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('Method Not Allowed');
      return true;
    }
    const name = url.pathname.slice(CONSOLE_PATH.length + 1) || 'index.html';
    if (!FILE_NAME.test(name)) return notFound(response, headers);
    ready ??= ensureConsoleBuilt(dir).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    const content = await readFile(join(await ready, name)).catch(() => undefined);
    if (!content) return notFound(response, headers);
    response
      .writeHead(200, {
        ...headers,
        'content-type': TYPES[extname(name)]!,
        // Hashed names never change; the page itself is checked again each time so a new build shows.
        'cache-control': name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
        'content-length': content.length,
      })
      .end(request.method === 'HEAD' ? undefined : content);
    return true;
  };
}

function notFound(response: ServerResponse, headers: Record<string, string>): true {
  response.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('Not Found');
  return true;
}
