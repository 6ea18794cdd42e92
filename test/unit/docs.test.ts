import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { operations } from '../../lib/routes';
import { GRANT_TYPES } from '../../src/domain/token-endpoint';
import { REPOSITORY_ROOT } from '../../local/runtime';

/** The README is what newcomers read first, docs/ what they read next: both must stay true and short. */

const read = (path: string) => readFileSync(join(REPOSITORY_ROOT, path), 'utf8');
const documents = [
  'README.md',
  ...readdirSync(join(REPOSITORY_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/**
 * Written by other changes under way (operations and security); until they land, a link to them is
 * tolerated while the file is absent. Once both exist in the repository, delete this list.
 */

describe('README', () => {
  const readme = read('README.md');

  it('stays under 10 KB', () => {
    expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(10 * 1024);
  });

  it('names the two command lines of the Quick start', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});

/** The route list of docs/api.md, as the route table gives it. */
function routeTableMarkdown(): string {
  const rows = operations.flatMap((operation) =>
    operation.routes.map((route) => `| ${route.method} | \`${route.path}\` | [${operation.name}](../${operation.handler}) | ${operation.summary} |`),
  );
  return ['| method | path | operation | what it does |', '|---|---|---|---|', ...rows].join('\n');
}

describe('docs/api.md', () => {
  it('lists every route of the route table, and nothing else (UPDATE_DOCS=1 rewrites the list)', () => {
    const text = read('docs/api.md');
    const block = /(<!-- routes:start -->\n)([\s\S]*?)\n(<!-- routes:end -->)/.exec(text);
    expect(block, 'docs/api.md has lost its <!-- routes:start --> / <!-- routes:end --> markers').not.toBeNull();
    const expected = routeTableMarkdown();
    if (process.env.UPDATE_DOCS === '1' && block![2] !== expected) {
      writeFileSync(join(REPOSITORY_ROOT, 'docs/api.md'), text.replace(block![0], `${block![1]}${expected}\n${block![3]}`));
      return;
    }
    expect(block![2]).toBe(expected);
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchorsOf(path: string): Set<string> {
  const text = readFileSync(path, 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map(([, heading]) => slug(heading!)));
}

describe('links in README.md and docs/*.md', () => {
  it.each(documents)('%s: every relative link names an existing file, and an existing heading when it has an anchor', (document) => {
    const text = read(document).replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto:
      const [pathPart, anchor] = target!.split('#') as [string, string | undefined];
      const file = pathPart === '' ? join(REPOSITORY_ROOT, document) : resolve(dirname(join(REPOSITORY_ROOT, document)), pathPart);
      const fromRoot = relative(REPOSITORY_ROOT, file);
      if (!existsSync(file)) {
        broken.push(`${target} (no file ${fromRoot})`);
        continue;
      }
      if (anchor && file.endsWith('.md') && !anchorsOf(file).has(anchor)) broken.push(`${target} (no heading #${anchor} in ${fromRoot})`);
    }
    expect(broken).toEqual([]);
  });
});

describe('the token endpoint’s route summary', () => {
  it('names every grant the endpoint serves, and DPoP', () => {
    const summary = operations.find((operation) => operation.name === 'token')!.summary;
    const names: Record<string, string> = {
      client_credentials: 'client credentials',
      authorization_code: 'authorization code',
      refresh_token: 'refresh token',
      'urn:ietf:params:oauth:grant-type:jwt-bearer': 'JWT bearer',
      'urn:ietf:params:oauth:grant-type:token-exchange': 'token exchange',
    };
    for (const grantType of GRANT_TYPES) expect(summary, grantType).toContain(names[grantType] ?? grantType);
    expect(summary).toContain('DPoP');
  });
});
