import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';

/**
 * A handler for tests of the API Gateway emulation: answers what it received (bodies only by size
 * and, when short, content), so a test sees the event as a function would.
 */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> {
  const body = event.body ?? '';
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      routeKey: event.routeKey,
      isBase64Encoded: event.isBase64Encoded,
      bodyLength: body.length,
      ...(body.length <= 1024 ? { body } : {}),
      time: event.requestContext.time,
      timeEpoch: event.requestContext.timeEpoch,
    }),
  };
}
