import { createServer, request as forward, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of the embedded DynamoDB that can lose an answer after the write has
 * committed, as a connection reset or a timeout between DynamoDB and a function does: armed with
 * `loseNextAnswer`, it forwards the next matching request, waits for DynamoDB's whole answer, and
 * then closes the client's connection instead of passing the answer on. The AWS SDK sees a reset
 * and retries the same call. Every other request passes through unchanged.
 */
export interface LostAnswerProxy {
  readonly url: string;
  /** Loses the answer of the next request for `operation` (e.g. `PutItem`) whose body contains `marker`. */
  loseNextAnswer(operation: string, marker: string): void;
  /** Answers lost so far. */
  readonly lost: number;
  close(): Promise<void>;
}

export async function lostAnswerProxy(target: string): Promise<LostAnswerProxy> {
  const { hostname, port: targetPort } = new URL(target);
  let armed: { target: string; marker: string } | undefined;
  let lost = 0;
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(incoming.headers['x-amz-target'] ?? '');
      const lose = armed !== undefined && operation === armed.target && body.toString('utf8').includes(armed.marker);
      if (lose) armed = undefined;
      const upstream = forward({ host: hostname, port: Number(targetPort), method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
        const answerChunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
        answer.on('end', () => {
          if (lose) {
            lost++;
            incoming.socket.destroy();
            return;
          }
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          outgoing.end(Buffer.concat(answerChunks));
        });
      });
      upstream.on('error', () => incoming.socket.destroy());
      upstream.end(body);
    });
  });
  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  return {
    url: `http://127.0.0.1:${port}`,
    loseNextAnswer(operation, marker) {
      armed = { target: `DynamoDB_20120810.${operation}`, marker };
    },
    get lost() {
      return lost;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
