import type { IncomingMessage } from 'node:http';

/**
 * The whole request body, or undefined as soon as it grows past `limitBytes` (the caller answers 413).
 * The rest of an oversized body is read and dropped rather than the socket destroyed, so the client
 * gets to read the 413 instead of a connection reset.
 */
export function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limitBytes) {
        tooLarge = true;
        chunks.length = 0;
        resolveBody(undefined);
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => {
      if (!tooLarge) resolveBody(Buffer.concat(chunks));
    });
    request.once('error', reject);
  });
}
