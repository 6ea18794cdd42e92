// Writes pregenerated-rsa-key-fixture.ts: RSA-2048 private keys for the tests' local KMS stand-in
// (pregenerated-rsa-keys.ts). Run once, by hand: `npx tsx test/support/write-pregenerated-rsa-key-fixture.ts [count]`.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The shared integration worker draws the most keys of one process, about 25-36 in a run.
const count = Number(process.argv[2] ?? 64);
const keys = Array.from({ length: count }, () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'));

const source = `// TEST-ONLY KEYS. RSA-2048 private keys (PKCS#8 DER, base64) made ahead of time for the local KMS
// stand-in that the tests start (pregenerated-rsa-keys.ts), so a test run does not pay for fresh
// primes. They are public in this repository: never use them anywhere else. \`npm start\` and every
// deployment generate their keys fresh. Written by write-pregenerated-rsa-key-fixture.ts.
export const PREGENERATED_RSA_KEYS: readonly string[] = [
${keys.map((key) => `  '${key}',`).join('\n')}
];
`;
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), 'pregenerated-rsa-key-fixture.ts'), source);
