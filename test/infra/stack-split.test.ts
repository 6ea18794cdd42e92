import { describe, expect, it } from 'vitest';
import { areaOf, RESOURCE_BUDGET } from '../../lib/api-area';
import { operations, type Operation } from '../../lib/routes';
import { buildStack, buildTestApp, doubledOperations, everyResource, operationFunctions, routeKey, type Built } from './build-stack';

const today = buildStack();
const doubled = doubledOperations();
const twice = buildStack({}, { operations: doubled });

const counts = (built: Built) => built.stacks.map((where) => [where.stack.node.path, Object.keys(where.resources).length] as const);

describe('stacks that can grow', () => {
  it.each([
    ['today’s route table', today, operations],
    ['a route table twice today’s size', twice, doubled],
  ])('keeps every stack of %s under the resource budget', (_name, built, table) => {
    for (const [path, count] of counts(built)) expect(count, path).toBeLessThan(RESOURCE_BUDGET);
    // One nested stack per area, plus the top-level stack.
    expect(built.stacks).toHaveLength(1 + new Set(table.map(areaOf)).size);
  });

  it('still has one function per operation and every route with twice the operations', () => {
    expect([...operationFunctions(twice).keys()].sort()).toEqual(doubled.map((op) => op.name).sort());
    const routes = everyResource(twice, 'AWS::ApiGatewayV2::Route').map(({ resource }) => resource.Properties.RouteKey);
    expect(routes.sort()).toEqual(doubled.flatMap((op) => op.routes.map(routeKey)).sort());
  });

  it('fails synthesis, naming the area to split, when one area outgrows the budget', () => {
    const crowded: Operation[] = Array.from({ length: 40 }, (_, index) => ({
      name: `crowded-${index}`,
      handler: 'functions/resources/list-resources.ts',
      routes: [{ method: 'GET', path: `/v1/crowded/${index}` }],
      access: { table: 'read' },
      summary: 'crowded',
    }));
    const { app } = buildTestApp({}, { operations: [...operations, ...crowded] });
    expect(() => app.synth()).toThrow(/the resources area has \d+ CloudFormation resources, over the budget of 250: split functions\/resources\//);
  });

  it('passes names and ARNs to the nested stacks, never exports', () => {
    const text = JSON.stringify(today.stacks.map((where) => where.template.toJSON()));
    expect(text).not.toContain('Fn::ImportValue');
    for (const where of today.stacks.slice(1)) {
      // Table name and ARN, key and secret ARNs, API id and endpoint, alarm topic, another area's function: few.
      expect(Object.keys(where.parameters).length, where.stack.node.id).toBeLessThanOrEqual(10);
    }
  });

  it('changes no other area’s template when an operation is added to one area', () => {
    const extra: Operation = {
      name: 'list-service-account-notes',
      handler: 'functions/service-accounts/list-service-accounts.ts',
      routes: [{ method: 'GET', path: '/v1/service-accounts/{id}/notes' }],
      access: { table: 'read', keys: 'verify', secrets: ['pepper'] },
      summary: 'extra',
    };
    const grown = buildStack({}, { operations: [...operations, extra] });
    const templates = (built: Built) => new Map(built.stacks.slice(1).map((where) => [where.stack.node.id, JSON.stringify(where.template.toJSON())]));
    const before = templates(today);
    const after = templates(grown);
    const changed = [...after.keys()].filter((id) => after.get(id) !== before.get(id));
    expect(changed).toEqual(['ServiceAccountsArea']);
    // In the top-level stack only the stage's route settings and the nested stack's template change.
    const top = (built: Built) => Object.fromEntries(Object.entries(built.resources).map(([id, r]) => [id, JSON.stringify(r)]));
    const topBefore = top(today);
    const topAfter = top(grown);
    const changedTop = Object.keys(topAfter).filter((id) => topAfter[id] !== topBefore[id]);
    expect(changedTop.sort()).toEqual([expect.stringMatching(/^ApiHttpApiDefaultStage/), expect.stringMatching(/^ServiceAccountsArea/)].sort());
  });
});
