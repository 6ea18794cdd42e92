import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A back-channel logout endpoint on 127.0.0.1, as an application or relying party serves it (OpenID
 * Connect Back-Channel Logout §2.5): it answers 200 and hands each posted `logout_token`, with the
 * path it was posted to, to `receive`. `url` is the server's origin; close `server` when done.
 */
export async function startLogoutReceiver(receive: (logoutToken: string, path: string) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      receive(new URLSearchParams(body).get('logout_token')!, request.url ?? '');
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
