import { Worker } from 'node:worker_threads';

/**
 * The embedded DynamoDB (dynalite, its tables in LevelDB under the data folder) on a worker thread
 * (`embedded-dynamodb-worker.mjs`). Run on the runtime's main thread, its CPU and its storage waits
 * took about half of that thread's time per token; on its own thread it uses another core, and the
 * handlers reach it over HTTP exactly as before.
 */

/**
 * Every operation dynalite serves, in both API versions it accepts: the worker counts requests in
 * shared memory, one counter per target, read here without a round trip. Other targets are `unknown`.
 */
const OPERATIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateItem',
  'UpdateTable',
  'UpdateTimeToLive',
];
const TARGETS = ['unknown', ...['DynamoDB_20120810', 'DynamoDB_20111205'].flatMap((api) => OPERATIONS.map((operation) => `${api}.${operation}`))];

export interface EmbeddedDynamoDb {
  readonly port: number;
  /**
   * Requests served so far, by `X-Amz-Target` (`unknown` for a target dynalite does not serve).
   * Counted before they are answered, so a caller that got its answer sees its own request here.
   */
  calls(): Record<string, number>;
  close(): Promise<void>;
}

type WorkerMessage =
  | { type: 'listening'; port: number }
  | { type: 'error'; error: { message: string; code?: string; port?: number } }
  | { type: 'closed'; error?: { message: string } };

export async function startEmbeddedDynamoDb(options: { path: string; port: number; host: string }): Promise<EmbeddedDynamoDb> {
  const counts = new SharedArrayBuffer(TARGETS.length * Int32Array.BYTES_PER_ELEMENT);
  const counters = new Int32Array(counts);
  const worker = new Worker(new URL('./embedded-dynamodb-worker.mjs', import.meta.url), {
    workerData: { ...options, targets: TARGETS, counts },
    // The worker needs no TypeScript loader, and the runtime's flags (a profiler's, say) are not its business.
    execArgv: [],
  });
  const exited = new Promise<number>((resolveExit) => worker.once('exit', resolveExit));
  let closed: ((error?: Error) => void) | undefined;
  let started = false;

  const listening = new Promise<number>((resolvePort, reject) => {
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'listening') resolvePort(message.port);
      else if (message.type === 'error') reject(Object.assign(new Error(message.error.message), message.error));
      else closed?.(message.error && new Error(`the embedded DynamoDB did not close cleanly: ${message.error.message}`));
    });
    worker.once('error', (error) => {
      // A failure after start leaves the handlers without a table: say so where the developer looks.
      if (started) console.error('the embedded DynamoDB stopped', error);
      reject(error);
    });
    void exited.then((code) => reject(new Error(`the embedded DynamoDB stopped before listening (exit ${code})`)));
  });
  let port: number;
  try {
    port = await listening;
    started = true;
  } catch (error) {
    await worker.terminate();
    throw error;
  }

  return {
    port,
    calls() {
      const calls: Record<string, number> = {};
      TARGETS.forEach((target, index) => {
        const count = Atomics.load(counters, index);
        if (count > 0) calls[target] = count;
      });
      return calls;
    },
    async close() {
      const done = new Promise<void>((resolveClose, reject) => {
        closed = (error) => (error ? reject(error) : resolveClose());
        void exited.then(() => resolveClose());
      });
      worker.postMessage('close');
      await done;
      await exited;
    },
  };
}
