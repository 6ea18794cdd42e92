import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { operations } from '../../lib/routes';
import { REPOSITORY_ROOT } from '../../local/runtime';

/** The README's route list is what newcomers read first: it must match the route table. */
describe('README', () => {
  const readme = readFileSync(join(REPOSITORY_ROOT, 'README.md'), 'utf8');
  const listed = [...readme.matchAll(/^\| (GET|POST|PUT|PATCH|DELETE|ANY) \| `([^`]+)` \| \[([a-z-]+)\]\(([^)]+)\) \|/gm)].map(
    ([, method, path, name, handler]) => `${method} ${path} ${name} ${handler}`,
  );

  it('lists every route of the route table, and nothing else', () => {
    const table = operations.flatMap((operation) => operation.routes.map((route) => `${route.method} ${route.path} ${operation.name} ${operation.handler}`));
    expect(listed.sort()).toEqual(table.sort());
  });

  it('names the two command lines of the Quick start', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});
