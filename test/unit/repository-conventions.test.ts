import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseSync } from '@swc/core';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { REPOSITORY_ROOT } from '../../local/runtime';

/** Rules of the repository that a reviewer would otherwise have to remember. */

const TEXT = /\.(ts|js|mjs|cjs|md|json)$/;

function filesUnder(path: string): string[] {
  const absolute = join(REPOSITORY_ROOT, path);
  if (!statSync(absolute, { throwIfNoEntry: false })) return [];
  if (statSync(absolute).isFile()) return [path];
  return readdirSync(absolute, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const child = join(path, entry.name);
    return entry.isDirectory() ? filesUnder(child) : TEXT.test(entry.name) ? [child] : [];
  });
}

/** The repository paths a source file imports (static, re-exports and dynamic `import()`), relative ones resolved. */
function importedPaths(file: string): string[] {
  const text = readFileSync(join(REPOSITORY_ROOT, file), 'utf8');
  return [...text.matchAll(/(?:\bfrom|\bimport\(?)\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((match) => join(dirname(file), match[1]!));
}

/**
 * Short IDs of a planning document (two or three capitals, a dash, a number) point nowhere a
 * reader of this repository can follow. Built from parts so that this file does not match itself.
 */
const PLANNING_ID = new RegExp(`\\b(${['SA', 'DA', 'MU', 'CL', 'SEC', 'PL', 'BE'].join('|')})-(\\d+|\\*)(?![\\w-])`);

function planningIdsIn(text: string): string[] {
  return text
    .split('\n')
    .map((line, index) => ({ line, number: index + 1 }))
    .filter(({ line }) => PLANNING_ID.test(line))
    .map(({ line, number }) => `${number}: ${line.trim()}`);
}

describe('comments, docs and test names', () => {
  it('recognises a planning ID and leaves RFC sections, key types and versions alone', () => {
    expect(planningIdsIn(`/** An administrator mints a token (${'SA'}-7). */`)).toHaveLength(1);
    expect(planningIdsIn(`// ---- clients (${'CL'}-*) ----`)).toHaveLength(1);
    expect(planningIdsIn(`describe('x (${'MU'}-4)')`)).toHaveLength(1);
    expect(planningIdsIn('RFC 6749 §4.4, RSA-2048, SHA-256, ES256, ISO-8601, a UTF-8 body, AES-256-GCM, TLS-1')).toEqual([]);
  });

  it('cite RFC sections and documents of this repository, never feature IDs defined elsewhere', () => {
    const places = ['src', 'functions', 'lib', 'local', 'bin', 'bench', 'test', 'docs', 'README.md'];
    const found = places
      .flatMap((place) => filesUnder(place))
      .flatMap((file) => planningIdsIn(readFileSync(join(REPOSITORY_ROOT, file), 'utf8')).map((hit) => `${relative('.', file)}:${hit}`));
    expect(found, 'say what the feature does instead of its ID').toEqual([]);
  });
});

describe('dependency wiring', () => {
  it('handlers take their dependencies from the composition root, never from an adapter', () => {
    const offenders = filesUnder('functions').filter((file) => /from '(\.\.\/)+src\/adapters\//.test(readFileSync(join(REPOSITORY_ROOT, file), 'utf8')));
    expect(offenders, 'import the deps object from src/composition/dependencies.ts instead').toEqual([]);
  });

  it('the shared HTTP and GraphQL code builds no adapter of its own either', () => {
    const offenders = [...filesUnder('src/http'), ...filesUnder('src/graphql')].filter((file) =>
      /from '(\.\.\/)+adapters\/from-environment'/.test(readFileSync(join(REPOSITORY_ROOT, file), 'utf8')),
    );
    expect(offenders, 'take the adapters through src/composition/dependencies.ts').toEqual([]);
  });

  it('the domain and the composition root import nothing from the HTTP layer: a request travels towards the adapters, never back', () => {
    const offenders = [...filesUnder('src/domain'), ...filesUnder('src/composition')].flatMap((file) =>
      importedPaths(file)
        .filter((imported) => imported === join('src', 'http') || imported.startsWith(`${join('src', 'http')}/`))
        .map((imported) => `${file} imports ${imported}`),
    );
    expect(offenders, 'move what both need below the HTTP layer (the domain or an adapter)').toEqual([]);
  });
});

describe("building a handler's dependencies", () => {
  /**
   * One way: a handler asks the composition root for its deps inside the call, never at module load.
   * The root's functions only bundle adapters that are memoised per container, so a call costs a few
   * property reads, and nothing is read from the environment before the first request (a handler
   * module can be imported before its configuration is set, as the local runtime and tests do).
   * The criterion: no call of a function imported from `src/composition/dependencies.ts` outside a
   * function body.
   */
  const FUNCTION_BODIES = new Set([
    'ArrowFunctionExpression',
    'FunctionExpression',
    'FunctionDeclaration',
    'ClassMethod',
    'PrivateMethod',
    'Constructor',
    'GetterProperty',
    'SetterProperty',
    'MethodProperty',
  ]);

  function moduleLoadBuilds(file: string, text: string): string[] {
    const program = parseSync(text, { syntax: 'typescript' });
    const fromRoot = new Set(
      program.body.flatMap((item) =>
        item.type === 'ImportDeclaration' && /(^|\/)src\/composition\/dependencies$/.test(item.source.value)
          ? item.specifiers.flatMap((specifier) => (specifier.type === 'ImportSpecifier' ? [specifier.local.value] : []))
          : [],
      ),
    );
    const found: string[] = [];
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) {
        node.forEach(visit);
        return;
      }
      if (typeof node !== 'object' || node === null) return;
      const { type, callee } = node as { type?: string; callee?: { type?: string; value?: string } };
      if (type && FUNCTION_BODIES.has(type)) return;
      if (type === 'CallExpression' && callee?.type === 'Identifier' && callee.value && fromRoot.has(callee.value)) found.push(`${file} calls ${callee.value}() at module load`);
      Object.values(node).forEach(visit);
    };
    visit(program.body);
    return found;
  }

  it('recognises dependencies built at module load', () => {
    const root = "import { resourceDeps, auditDeps } from '../../src/composition/dependencies';\n";
    expect(moduleLoadBuilds('a.ts', `${root}const deps = resourceDeps();\nexport const handler = async () => run(deps);`)).toEqual(['a.ts calls resourceDeps() at module load']);
    expect(moduleLoadBuilds('a.ts', `${root}const deps = { audit: auditDeps() };\nexport const handler = async () => run(deps);`)).toHaveLength(1);
    expect(moduleLoadBuilds('a.ts', `${root}export const handler = wrap(async (event) => run(resourceDeps(), event));`)).toEqual([]);
    expect(moduleLoadBuilds('a.ts', `${root}async function grant() { return run(auditDeps()); }\nconst later = { audit: auditDeps };`)).toEqual([]);
  });

  it('every handler under functions/ builds its dependencies per call, from the composition root', () => {
    const handlers = filesUnder('functions').filter((file) => file.endsWith('.ts'));
    const offenders = handlers.flatMap((file) => moduleLoadBuilds(file, readFileSync(join(REPOSITORY_ROOT, file), 'utf8')));
    expect(offenders, 'call the composition root inside the handler: its functions are cheap bundles of memoised adapters').toEqual([]);
  });
});

describe("the table's keys", () => {
  /**
   * `src/adapters/dynamodb/items.ts` alone spells a key pattern (`ENV#…`, `CLIENT#…`, `THROTTLE#…`):
   * every store builds its `pk` and `sk`, partitions and sort-key prefixes with it. The criterion:
   * outside it, no code of Latchkey has a string or template literal that starts with a key
   * pattern's prefix (capitals and a `#`).
   */
  const ITEMS = join('src', 'adapters', 'dynamodb', 'items.ts');

  function keyPatternsIn(file: string, text: string): string[] {
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    return [...code.matchAll(/['"`]([A-Z][A-Z0-9_-]*#)/g)].map((match) => `${file} spells the key pattern ${match[1]}`);
  }

  it('recognises a key pattern spelt outside items.ts', () => {
    expect(keyPatternsIn('a.ts', 'const key = { pk: `ENV#` + environmentId, sk: `SESSION#` + id };')).toHaveLength(2);
    expect(keyPatternsIn('a.ts', "const start = 'AUDIT#~';")).toHaveLength(1);
    expect(keyPatternsIn('a.ts', "/** under `CLIENT#{id}` */\nconst names = { '#version': 'version' };")).toEqual([]);
  });

  it('every store builds its keys with src/adapters/dynamodb/items.ts', () => {
    const offenders = [...filesUnder('src'), ...filesUnder('local'), ...filesUnder('functions')]
      .filter((file) => file.endsWith('.ts') && file !== ITEMS)
      .flatMap((file) => keyPatternsIn(file, readFileSync(join(REPOSITORY_ROOT, file), 'utf8')));
    expect(offenders, 'add the key to keys, SK_PREFIX or a partition function in items.ts and use it').toEqual([]);
  });
});

describe('import cycles', () => {
  /**
   * The modules under `src/` form no import cycle, type-only imports included: a cycle is a pair of
   * modules that cannot be read, tested or moved one without the other (as `ports.ts` and the feature
   * files it re-exported once were). dependency-cruiser finds them; its swc parser reads every import
   * as written, `import type` too, since type-only imports vanish only when TypeScript compiles.
   */
  async function modulesAndCycles(directory: string, baseDir: string): Promise<{ modules: string[]; cycles: string[] }> {
    const { output } = await cruise([directory], {
      baseDir,
      parser: 'swc',
      tsPreCompilationDeps: true,
      doNotFollow: { path: 'node_modules' },
      validate: true,
      ruleSet: { forbidden: [{ name: 'no-import-cycle', severity: 'error', from: {}, to: { circular: true } }] },
    });
    const result = output as ICruiseResult;
    return {
      modules: result.modules.map((module) => module.source),
      cycles: result.summary.violations.map((violation) => [violation.from, ...(violation.cycle ?? []).map((step) => step.name)].join(' -> ')),
    };
  }

  it('recognises a cycle of type-only imports', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'latchkey-cycle-'));
    try {
      writeFileSync(join(directory, 'a.ts'), "import type { B } from './b';\nexport interface A { readonly b?: B }\n");
      writeFileSync(join(directory, 'b.ts'), "import { type A } from './a';\nexport interface B { readonly a?: A }\n");
      writeFileSync(join(directory, 'c.ts'), "import type { A } from './a';\nexport type C = A;\n");
      const { cycles } = await modulesAndCycles('.', directory);
      expect(cycles).toEqual(['a.ts -> b.ts -> a.ts']);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('no import cycle anywhere under src/, type-only imports included', async () => {
    const { modules, cycles } = await modulesAndCycles('src', REPOSITORY_ROOT);
    const sources = filesUnder('src').filter((file) => file.endsWith('.ts'));
    expect(
      sources.filter((file) => !modules.includes(file)),
      'every module under src/ is read',
    ).toEqual([]);
    expect(cycles, 'a shared primitive goes to src/domain/primitives.ts, a port beside its records; domain modules never import src/domain/ports.ts').toEqual([]);
  });
});

describe('one minter of access tokens', () => {
  /**
   * Access-token claims are built in one module, `src/domain/minter.ts`, for every grant. The
   * criterion: outside the minter, no code of Latchkey (src, functions, local) names the access
   * token's JWT type `at+jwt` as a literal (which signing an access token needs; the guard may name
   * it to verify), hands claims to the opaque-token store (`issueOpaqueToken(`), or builds a value
   * typed as the access token's claims (`AccessTokenClaims`). A second place building access tokens
   * would have to do one of the three.
   */
  const MINTER = join('src', 'domain', 'minter.ts');
  const VERIFIES_ONLY = [join('src', 'guard', 'guard.ts')];

  function offendersIn(file: string, text: string): string[] {
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    const found: string[] = [];
    if (/['"`]at\+jwt['"`]/.test(code) && !VERIFIES_ONLY.includes(file)) found.push(`${file} names the access token's JWT type`);
    if (/\bissueOpaqueToken\(/.test(code) && !/export async function issueOpaqueToken\(/.test(code)) found.push(`${file} issues an opaque token`);
    if (/(:\s*(Readonly<)?AccessTokenClaims>?\s*=|\b(as|satisfies)\s+AccessTokenClaims\b)/.test(code)) found.push(`${file} builds access-token claims`);
    return found;
  }

  it('recognises a second minter', () => {
    expect(offendersIn('src/domain/x.ts', "await deps.signer.sign(claims, { typ: 'at+jwt' });")).toHaveLength(1);
    expect(offendersIn('src/domain/x.ts', 'const token = await issueOpaqueToken(deps, claims);')).toHaveLength(1);
    expect(offendersIn('src/domain/x.ts', 'const claims: AccessTokenClaims = { iss };')).toHaveLength(1);
    expect(offendersIn('src/domain/x.ts', "// signs with typ 'at+jwt'\nconst t = await deps.signer.sign(claims, { typ: 'JWT' });")).toEqual([]);
  });

  it('only src/domain/minter.ts builds access-token claims and signs or stores them', () => {
    const offenders = [...filesUnder('src'), ...filesUnder('functions'), ...filesUnder('local')]
      .filter((file) => file.endsWith('.ts') && file !== MINTER)
      .flatMap((file) => offendersIn(file, readFileSync(join(REPOSITORY_ROOT, file), 'utf8')));
    expect(offenders, 'issue access tokens through mintAccessToken in src/domain/minter.ts').toEqual([]);
  });
});

describe('audit declarations', () => {
  it('every mutating management operation (POST, PUT, PATCH, DELETE under /v1) declares its audit action, or why it has none', async () => {
    const { operations } = await import('../../lib/routes');
    const mutating = operations.filter((operation) => operation.routes.some((route) => route.method !== 'GET' && route.method !== 'ANY' && route.path.startsWith('/v1/')));
    expect(mutating.length).toBeGreaterThan(30);
    const undeclared = mutating.filter((operation) => operation.audit === undefined).map((operation) => operation.name);
    expect(undeclared, 'add a line to AUDITED in lib/routes.ts').toEqual([]);
    // The event is written to the table in the same function: an audited operation writes to it.
    const readOnly = mutating.filter((operation) => operation.audit && !('exempt' in operation.audit) && operation.access.table !== 'readwrite').map((operation) => operation.name);
    expect(readOnly).toEqual([]);
    // The audit middleware is part of the management stack: a declaration on an operation built otherwise would write nothing.
    const unwired = operations
      .filter((operation) => operation.audit && !('exempt' in operation.audit))
      .filter((operation) => !readFileSync(join(REPOSITORY_ROOT, operation.handler), 'utf8').includes('managementHandler('))
      .map((operation) => operation.name);
    expect(unwired, 'build the handler with managementHandler (src/http/management.ts)').toEqual([]);
    // A declaration names an operation of the table, and its action says what happened to which kind of record.
    for (const operation of operations.filter((candidate) => candidate.audit && !('exempt' in candidate.audit))) {
      const audit = operation.audit as { action: string; target: { type: string; id: string } };
      expect(audit.action, operation.name).toMatch(new RegExp(`^${audit.target.type}\\.[a-z_]+$`));
      const [kind, name] = audit.target.id.split(':');
      if (kind === 'path' || kind === 'handle')
        expect(
          operation.routes.some((route) => route.path.includes(`{${name}}`)),
          operation.name,
        ).toBe(true);
    }
  });
});

describe('the login engine', () => {
  const importsOf = (file: string) => [...readFileSync(join(REPOSITORY_ROOT, file), 'utf8').matchAll(/from '([^']+)'/g)].map((match) => match[1]!);

  it('keeps the OIDC and SAML finishers apart: what both need lives in src/domain/login', () => {
    const crossing = [
      ...filesUnder('src/domain/authorization').flatMap((file) =>
        importsOf(file)
          .filter((path) => /(^|\/)saml\//.test(path))
          .map((path) => `${file} → ${path}`),
      ),
      ...filesUnder('src/domain/saml').flatMap((file) =>
        importsOf(file)
          .filter((path) => /(^|\/)authorization\//.test(path))
          .map((path) => `${file} → ${path}`),
      ),
    ];
    expect(crossing, 'move what both protocols use into src/domain/login').toEqual([]);
  });

  it('narrows the interaction record with a coded error instead of asserting its optional parts', () => {
    const asserted = ['src/domain/login', 'src/domain/authorization', 'src/domain/saml']
      .flatMap((place) => filesUnder(place))
      .filter((file) => /\.(login|saml|rejection|grantedScopes)!/.test(readFileSync(join(REPOSITORY_ROOT, file), 'utf8')));
    expect(asserted, 'use answeredLogin or samlReturnOf from src/domain/login/states.ts').toEqual([]);
  });
});
