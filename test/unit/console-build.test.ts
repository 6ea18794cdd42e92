import { mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildConsole, ensureConsoleBuilt } from '../../console/build';

const outdir = join(mkdtempSync(join(tmpdir(), 'latchkey-console-build-')), 'dist');
afterAll(() => rmSync(join(outdir, '..'), { recursive: true, force: true }));

const builtAt = () => statSync(join(outdir, 'index.html')).mtimeMs;

describe('the console bundle npm start serves', () => {
  it('is built when the folder holds none', async () => {
    await ensureConsoleBuilt(outdir);
    expect(statSync(join(outdir, 'index.html')).isFile()).toBe(true);
  });

  it('is kept while it is newer than every source', async () => {
    await buildConsole(outdir);
    const before = builtAt();
    await ensureConsoleBuilt(outdir);
    expect(builtAt()).toBe(before);
  });

  it('is built again when a source changed after it, as after a checkout of newer console code', async () => {
    await buildConsole(outdir);
    // A bundle from before the sources' last change: older than any file of this checkout.
    const long = new Date('2000-01-01T00:00:00Z');
    utimesSync(join(outdir, 'index.html'), long, long);
    await ensureConsoleBuilt(outdir);
    expect(builtAt()).toBeGreaterThan(long.getTime());
  });
});
