// The embedded DynamoDB (dynalite on LevelDB), on a worker thread of the local runtime: its request
// parsing, expression evaluation and storage use a core of their own instead of the thread that runs
// the API and the handlers. Plain JavaScript so that it starts without a TypeScript loader, under
// `npm start` and under the test runner alike. Driven by `local/embedded-dynamodb.ts`.
import { parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';

/** @type {{ path: string, port: number, host: string, targets: string[], counts: SharedArrayBuffer }} targets[0] is `unknown` */
const { path, port, host, targets, counts } = workerData;
const counters = new Int32Array(counts);
const slots = new Map(targets.map((target, index) => [target, index]));

const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
// Counted before it is answered, so a caller that got its answer reads its own call. A target
// dynalite does not serve (it answers UnknownOperationException) counts as `unknown`.
server.on('request', (request) => Atomics.add(counters, slots.get(request.headers['x-amz-target']) ?? 0, 1));
server.once('error', (error) => {
  parentPort.postMessage({ type: 'error', error: { message: error.message, code: error.code, port: error.port } });
  parentPort.close();
});
server.listen(port, host, () => parentPort.postMessage({ type: 'listening', port: server.address().port }));

parentPort.on('message', (message) => {
  if (message !== 'close') return;
  server.closeAllConnections();
  // dynalite closes its LevelDB store with the server; the thread ends once both are closed.
  server.close((error) => {
    parentPort.postMessage({ type: 'closed', ...(error ? { error: { message: error.message } } : {}) });
    parentPort.close();
  });
});
