import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postLogoutToken } from '../../src/adapters/back-channel-logout';
import { OutboundHttp } from '../../src/adapters/outbound-http';

/** The application's logoutUrl is an outbound call like a webhook: the same address rules apply. */
describe('back-channel logout delivery', () => {
  let server: Server;
  let url: string;
  const received: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(body);
        if (request.url === '/moved') response.writeHead(302, { location: 'http://169.254.169.254/' }).end();
        else response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('posts the logout token where local targets are allowed (the local runtime)', async () => {
    const failures: string[] = [];
    await postLogoutToken(`${url}/logout`, 'a.b.c', (reason) => failures.push(reason), new OutboundHttp({ allowLocalTargets: true }));
    expect(failures).toEqual([]);
    expect(received.at(-1)).toBe('logout_token=a.b.c');
  });

  it('refuses a loopback logoutUrl in a deployed stage without sending anything', async () => {
    const before = received.length;
    const failures: string[] = [];
    await postLogoutToken(`${url}/logout`, 'a.b.c', (reason) => failures.push(reason), new OutboundHttp({ allowLocalTargets: false }));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/refused/);
    expect(received.length).toBe(before);
  });

  it('does not follow a redirect', async () => {
    const failures: string[] = [];
    await postLogoutToken(`${url}/moved`, 'a.b.c', (reason) => failures.push(reason), new OutboundHttp({ allowLocalTargets: true }));
    expect(failures).toEqual(['logoutUrl answered 302']);
  });
});
