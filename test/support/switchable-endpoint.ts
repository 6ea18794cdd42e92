import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP endpoint in front of a local AWS stand-in that a test can take down: `up` forwards every
 * connection to the stand-in; `hang` accepts connections and never answers (a dependency that is
 * stuck); `refuse` stops listening, so connections are refused (a dependency that is gone).
 * Switching drops every open connection, so the SDK's kept-alive sockets cannot bypass the switch.
 */
export type EndpointMode = 'up' | 'hang' | 'refuse';

export interface SwitchableEndpoint {
  readonly url: string;
  /** How many connections held by `hang` the client closed (gave up on), not counting those a switch dropped. */
  readonly hungUpOn: number;
  set(mode: EndpointMode): Promise<void>;
  close(): Promise<void>;
}

export async function switchableEndpoint(target: string): Promise<SwitchableEndpoint> {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  const dropped = new WeakSet<Socket>();
  let mode: EndpointMode = 'up';
  let hungUpOn = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    if (mode === 'hang') {
      socket.resume(); // read the request, answer nothing
      // Still in the set when it closes: the client closed it, not a switch.
      socket.on('close', () => {
        if (!dropped.has(socket)) hungUpOn++;
      });
      return;
    }
    const upstream = connect(Number(targetPort), hostname);
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      socket.destroy();
    });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    socket.pipe(upstream).pipe(socket);
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  const dropConnections = () => {
    for (const socket of sockets) {
      dropped.add(socket);
      socket.destroy();
    }
    sockets.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    get hungUpOn() {
      return hungUpOn;
    },
    async set(next) {
      dropConnections();
      if (next === 'refuse' && server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      if (next !== 'refuse' && !server.listening) await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
      mode = next;
    },
    async close() {
      dropConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
