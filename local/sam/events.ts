import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DEFAULT_ROUTE, type Operation } from '../../lib/routes';
import { apiGatewayEvent } from '../api-gateway-event';
import { SAM_LOCAL } from './env-file';

/**
 * One sample payload-2.0 event per route, for `sam local invoke <Function> -e <file>`, built by the
 * same code that builds the local emulation's events. Credentials, tokens and IDs are placeholders
 * to replace (the file says which); bodies are the smallest a route accepts or refuses clearly.
 */

export const EVENT_PLACEHOLDERS = { clientId: 'CLIENT_ID', clientSecret: 'CLIENT_SECRET', token: 'PASTE_A_TOKEN' } as const;

export interface SampleEvent {
  /** File name: the operation, numbered when it has several routes. */
  readonly file: string;
  readonly operation: string;
  readonly event: APIGatewayProxyEventV2;
}

const OAUTH_FORMS: Record<string, string> = {
  token: 'grant_type=client_credentials',
  introspect: `token=${EVENT_PLACEHOLDERS.token}`,
  revoke: `token=${EVENT_PLACEHOLDERS.token}`,
};

export function sampleEvents(operations: readonly Operation[], now: Date = new Date()): SampleEvent[] {
  const issuer = new URL(SAM_LOCAL.issuer);
  return operations.flatMap((operation) =>
    operation.routes.map((route, index) => {
      const isDefault = route.path === DEFAULT_ROUTE.path;
      const pathParameters = Object.fromEntries([...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name!, `example-${name}`]));
      const path = isDefault ? '/no-such-path' : route.path.replace(/\{(\w+)\}/g, (_match, name: string) => pathParameters[name]!);
      const method = isDefault ? 'GET' : route.method;
      const headers: Record<string, string> = { host: issuer.host, 'user-agent': 'sam-local-sample' };
      let body = '';
      if (operation.name in OAUTH_FORMS) {
        headers.authorization = `Basic ${Buffer.from(`${EVENT_PLACEHOLDERS.clientId}:${EVENT_PLACEHOLDERS.clientSecret}`).toString('base64')}`;
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = OAUTH_FORMS[operation.name]!;
      } else if (route.path.startsWith('/v1/') || operation.name === 'graphql') {
        headers.authorization = `Bearer ${EVENT_PLACEHOLDERS.token}`;
        if (['POST', 'PUT', 'PATCH'].includes(method)) {
          headers['content-type'] = 'application/json';
          body = operation.name === 'graphql' ? JSON.stringify({ query: '{ __typename }' }) : '{}';
        }
      }
      const event = apiGatewayEvent({
        method,
        url: new URL(path, issuer),
        headers,
        body: Buffer.from(body),
        routeKey: isDefault ? '$default' : `${route.method} ${route.path}`,
        pathParameters: isDefault ? undefined : pathParameters,
        sourceIp: '127.0.0.1',
        protocol: 'HTTP/1.1',
        now,
        requestId: `sample-${operation.name}-${index + 1}`,
      });
      return { file: `${operation.name}${index > 0 ? `-${index + 1}` : ''}.json`, operation: operation.name, event };
    }),
  );
}
