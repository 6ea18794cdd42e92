import { DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REQUEST_TIMEOUT_OVERRIDE_VARIABLE } from '../../src/adapters/aws-client-config';
import { DEFAULT_THROTTLE_POLICY } from '../../src/domain/authentication-throttle';
import { adminToken, api, requestToken } from '../support/http';
import { startTestRuntime } from '../support/local-runtime';
import { lostAnswerProxy, type LostAnswerProxy } from '../support/lost-answer-proxy';
import { switchableEndpoint, type SwitchableEndpoint } from '../support/switchable-endpoint';

/** The handlers' request timeout here: a hang is the same timeout, only a shorter wait for it. */
const REQUEST_TIMEOUT_MS = 1000;

/**
 * A dependency that hangs or refuses connections gets a 503 with `Retry-After` in each error shape,
 * within the SDK timeouts, and leaves nothing half written: a retry once it is back finishes the job.
 * The functions' DynamoDB, Secrets Manager and KMS endpoints point at switchable endpoints in front
 * of the local stand-ins (DynamoDB and Secrets Manager from the runtime's start, so that a function's
 * first call can find them down); everything else is the local runtime as it runs.
 */
describe('dependency outages', () => {
  let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
  let admin: ReturnType<typeof api>;
  let dynamodb: SwitchableEndpoint;
  let lostAnswers: LostAnswerProxy;
  let secretsManager: SwitchableEndpoint;
  let kms: SwitchableEndpoint;
  /** Talks to the stand-in directly, to see what is really stored. */
  let secrets: SecretsManagerClient;

  beforeAll(async () => {
    process.env[REQUEST_TIMEOUT_OVERRIDE_VARIABLE] = String(REQUEST_TIMEOUT_MS);
    // KMS mode: every token is a KMS call, so a KMS outage shows on the token endpoint at once.
    runtime = await startTestRuntime(undefined, {
      signingMode: 'kms',
      functionEndpoints: async (standIns) => {
        lostAnswers = await lostAnswerProxy(standIns.dynamodb);
        dynamodb = await switchableEndpoint(lostAnswers.url);
        secretsManager = await switchableEndpoint(standIns.aws);
        return { dynamodb: dynamodb.url, secretsManager: secretsManager.url };
      },
    });
    kms = await switchableEndpoint(runtime.endpoints.aws);
    // The handlers' signing clients are built on first use, after this.
    process.env.AWS_ENDPOINT_URL_KMS = kms.url;
    secrets = new SecretsManagerClient({ endpoint: runtime.endpoints.aws });
  });
  afterAll(async () => {
    await dynamodb?.close();
    await lostAnswers?.close();
    await secretsManager?.close();
    await kms?.close();
    await runtime?.stop();
  });
  /** The administrator's token, asked for once the cold start below has been seen. */
  const signInAdmin = async () => {
    admin ??= api(runtime.url, await adminToken(runtime));
  };

  /**
   * The call to Latchkey answers although `endpoint` hangs and never will: Latchkey gave up on it
   * (the SDK's request timeout), and the endpoint sees it close the connections it held. Without
   * that timeout nothing would end the wait but the test's own.
   */
  const throughHang = async <T>(endpoint: SwitchableEndpoint, call: () => Promise<T>) => {
    const before = endpoint.hungUpOn;
    const result = await call();
    await vi.waitFor(() => expect(endpoint.hungUpOn).toBeGreaterThan(before));
    return result;
  };

  const secretExists = async (applicationId: string) => {
    try {
      await secrets.send(new DescribeSecretCommand({ SecretId: `latchkey/local/webhook/${runtime.devAdmin.environmentId}/${applicationId}` }));
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return false;
      throw error;
    }
  };

  const applicationWithSecret = async () => {
    const app = (await admin.post('/v1/applications', { name: 'Outage' })).body;
    expect((await admin.post(`/v1/applications/${app.id}/webhook-secret`)).status).toBe(200);
    expect(await secretExists(app.id)).toBe(true);
    return app.id as string;
  };

  const expectUnavailable = (answer: { status: number; headers: Headers; body: any }) => {
    expect(answer.status).toBe(503);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  };

  const expectNeverCountedAsFailures = async (endpoint: SwitchableEndpoint, credentials: { clientId: string; clientSecret: string }) => {
    await endpoint.set('refuse');
    try {
      for (let i = 0; i < DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress + 2; i++) {
        const answer = await requestToken(runtime.url, credentials);
        expectUnavailable(answer);
        expect(answer.body).toEqual({ error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable; try again shortly' });
      }
    } finally {
      await endpoint.set('up');
    }
    expect((await requestToken(runtime.url, credentials)).status).toBe(200);
  };

  // First in this file: no function has read the pepper yet, as in a container's first invocation.
  it('a cold function that cannot read the pepper checks no secret: 503 with Retry-After, never counted as a failed authentication', async () => {
    await expectNeverCountedAsFailures(secretsManager, runtime.devAdmin);
  });

  describe('DynamoDB', () => {
    beforeAll(signInAdmin);

    it('while it refuses connections during a client secret check: 503 with Retry-After each time, never a 429, and the secret works once it is back', async () => {
      const account = (await admin.post('/v1/service-accounts', { name: 'checked during a table outage' })).body;
      await expectNeverCountedAsFailures(dynamodb, account);
    });

    it('while it hangs during a client secret check: 503 within the SDK timeouts', async () => {
      const account = (await admin.post('/v1/service-accounts', { name: 'checked while the table hangs' })).body;
      await dynamodb.set('hang');
      try {
        expectUnavailable(await throughHang(dynamodb, () => requestToken(runtime.url, account)));
      } finally {
        await dynamodb.set('up');
      }
      expect((await requestToken(runtime.url, account)).status).toBe(200);
    });
  });

  // The SDK retries a write whose answer was lost; the retry's create condition then fails on the
  // record the first attempt wrote, and a delete's on the record it removed.
  describe('a write that commits but loses its answer', () => {
    beforeAll(signInAdmin);

    const losingTheAnswer = async <T>(operation: 'PutItem' | 'DeleteItem', marker: string, call: () => Promise<T>): Promise<T> => {
      const before = lostAnswers.lost;
      lostAnswers.loseNextAnswer(operation, marker);
      const result = await call();
      expect(lostAnswers.lost).toBe(before + 1);
      return result;
    };
    const named = (items: { name: string }[], name: string) => items.filter((item) => item.name === name);

    it('POST /v1/service-accounts answers 201 with a secret that works, and makes one account; DELETE answers 204', async () => {
      const name = 'lost answer: service account';
      const created = await losingTheAnswer('PutItem', name, () => admin.post('/v1/service-accounts', { name }));
      expect(created.status).toBe(201);
      expect((await requestToken(runtime.url, created.body)).status).toBe(200);
      expect(named((await admin.get('/v1/service-accounts?limit=100')).body.items, name)).toHaveLength(1);

      const deleted = await losingTheAnswer('DeleteItem', created.body.id, () => admin.delete(`/v1/service-accounts/${created.body.id}`));
      expect(deleted.status).toBe(204);
      expect((await admin.get(`/v1/service-accounts/${created.body.id}`)).status).toBe(404);
    });

    it('POST /v1/applications and its clients answer 201, once each; their DELETEs answer 204', async () => {
      const name = 'lost answer: application';
      const application = await losingTheAnswer('PutItem', name, () => admin.post('/v1/applications', { name }));
      expect(application.status).toBe(201);
      expect(named((await admin.get('/v1/applications?limit=100')).body.items, name)).toHaveLength(1);

      const clients = `/v1/applications/${application.body.id}/clients`;
      const clientName = 'lost answer: client';
      const client = await losingTheAnswer('PutItem', clientName, () => admin.post(clients, { name: clientName, redirectUris: ['https://rp.example.com/callback'] }));
      expect(client.status).toBe(201);
      expect(client.body.clientSecret).toMatch(/^lks_/);
      expect(named((await admin.get(clients)).body.items, clientName)).toHaveLength(1);

      expect((await losingTheAnswer('DeleteItem', client.body.id, () => admin.delete(`${clients}/${client.body.id}`))).status).toBe(204);
      expect((await admin.get(`${clients}/${client.body.id}`)).status).toBe(404);
      expect((await losingTheAnswer('DeleteItem', application.body.id, () => admin.delete(`/v1/applications/${application.body.id}`))).status).toBe(204);
      expect((await admin.get(`/v1/applications/${application.body.id}`)).status).toBe(404);
    });

    it('POST /v1/resources answers 201 when its audience claim or its record loses the answer; DELETE answers 204 and frees the audience', async () => {
      // The claim is the first write that names the key; the record the only one under RESOURCE#.
      const claimed = await losingTheAnswer('PutItem', 'lost-claim', () => admin.post('/v1/resources', { key: 'lost-claim' }));
      expect(claimed.status).toBe(201);
      const audience = 'https://lost-record.example.com';
      const recorded = await losingTheAnswer('PutItem', 'RESOURCE#lost-record', () => admin.post('/v1/resources', { key: 'lost-record', audience }));
      expect(recorded.status).toBe(201);
      expect((await admin.get('/v1/resources/lost-record')).body.audience).toBe(audience);

      expect((await losingTheAnswer('DeleteItem', 'RESOURCE#lost-record', () => admin.delete('/v1/resources/lost-record'))).status).toBe(204);
      expect((await admin.get('/v1/resources/lost-record')).status).toBe(404);
      expect((await admin.post('/v1/resources', { key: 'lost-record-again', audience })).status).toBe(201);
    });

    it('personal access tokens and IDP connections: creates answer 201 once, deletes 204', async () => {
      const account = (await admin.post('/v1/service-accounts', { name: 'lost answer: PAT owner' })).body;
      const tokens = `/v1/service-accounts/${account.id}/personal-access-tokens`;
      const pat = await losingTheAnswer('PutItem', `PAT#${account.id}`, () => admin.post(tokens, { name: 'lost answer' }));
      expect(pat.status).toBe(201);
      expect(pat.body.token).toMatch(/^lkp_/);
      expect((await admin.get(tokens)).body.items).toHaveLength(1);
      expect((await losingTheAnswer('DeleteItem', pat.body.id, () => admin.delete(`${tokens}/${pat.body.id}`))).status).toBe(204);
      expect((await admin.get(tokens)).body.items).toHaveLength(0);

      const connection = await losingTheAnswer('PutItem', 'IDP_CONNECTION#delegated', () => admin.post('/v1/idp-connections', { type: 'delegated' }));
      expect(connection.status).toBe(201);
      expect((await losingTheAnswer('DeleteItem', 'IDP_CONNECTION#delegated', () => admin.delete(`/v1/idp-connections/${connection.body.id}`))).status).toBe(204);
      expect((await admin.get('/v1/idp-connections')).body.items).toEqual([]);
    });
  });

  describe('Secrets Manager', () => {
    beforeAll(signInAdmin);

    it.each(['hang', 'refuse'] as const)('DELETE /v1/applications/{id} while it %ss: 503, and the application and its secret are both still there', async (mode) => {
      const id = await applicationWithSecret();
      await secretsManager.set(mode);
      try {
        const remove = () => admin.delete(`/v1/applications/${id}`);
        const answer = mode === 'hang' ? await throughHang(secretsManager, remove) : await remove();
        expectUnavailable(answer);
        expect(answer.headers.get('content-type')).toBe('application/problem+json');
        expect(answer.body).toMatchObject({ status: 503, code: 'temporarily_unavailable', detail: 'the service is temporarily unavailable; try again shortly' });
        expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|Timeout|127\.0\.0\.1/);
      } finally {
        await secretsManager.set('up');
      }
      expect((await admin.get(`/v1/applications/${id}`)).body.webhookSecretConfigured).toBe(true);
      expect(await secretExists(id)).toBe(true);

      // Once it is back, a retry finishes the job: no record, no secret.
      expect((await admin.delete(`/v1/applications/${id}`)).status).toBe(204);
      expect((await admin.get(`/v1/applications/${id}`)).status).toBe(404);
      expect(await secretExists(id)).toBe(false);
    });

    it('DELETE of the webhook secret while it hangs: 503, still configured and stored; a retry deletes both', async () => {
      const id = await applicationWithSecret();
      await secretsManager.set('hang');
      try {
        expectUnavailable(await throughHang(secretsManager, () => admin.delete(`/v1/applications/${id}/webhook-secret`)));
      } finally {
        await secretsManager.set('up');
      }
      expect((await admin.get(`/v1/applications/${id}`)).body.webhookSecretConfigured).toBe(true);
      expect(await secretExists(id)).toBe(true);
      expect((await admin.delete(`/v1/applications/${id}/webhook-secret`)).status).toBe(204);
      expect((await admin.get(`/v1/applications/${id}`)).body.webhookSecretConfigured).toBe(false);
      expect(await secretExists(id)).toBe(false);
    });

    it('a webhook secret asked for while it refuses connections: 503 and no secret configured', async () => {
      const app = (await admin.post('/v1/applications', { name: 'No secret yet' })).body;
      await secretsManager.set('refuse');
      try {
        expectUnavailable(await admin.post(`/v1/applications/${app.id}/webhook-secret`));
      } finally {
        await secretsManager.set('up');
      }
      expect((await admin.get(`/v1/applications/${app.id}`)).body.webhookSecretConfigured).toBe(false);
      expect(await secretExists(app.id)).toBe(false);
    });
  });

  describe('KMS', () => {
    beforeAll(signInAdmin);

    it('the token endpoint while KMS hangs: an OAuth 503 with Retry-After', async () => {
      const account = (await admin.post('/v1/service-accounts', { name: 'during an outage' })).body;
      await kms.set('hang');
      try {
        const answer = await throughHang(kms, () => requestToken(runtime.url, account));
        expectUnavailable(answer);
        expect(answer.body).toEqual({ error: 'temporarily_unavailable', error_description: 'the service is temporarily unavailable; try again shortly' });
      } finally {
        await kms.set('up');
      }
      expect((await requestToken(runtime.url, account)).status).toBe(200);
    });

    it('an outage is not counted as a failed authentication: more 503s than the throttle allows failures, never a 429', async () => {
      const account = (await admin.post('/v1/service-accounts', { name: 'retrying through an outage' })).body;
      await kms.set('refuse');
      try {
        for (let i = 0; i < DEFAULT_THROTTLE_POLICY.maxFailuresPerAddress + 2; i++) expect((await requestToken(runtime.url, account)).status).toBe(503);
      } finally {
        await kms.set('up');
      }
      expect((await requestToken(runtime.url, account)).status).toBe(200);
    });

    it('GraphQL authenticateServiceAccount while KMS refuses connections: HTTP 503 with Retry-After and SERVICE_UNAVAILABLE', async () => {
      const account = (await admin.post('/v1/service-accounts', { name: 'graphql during an outage' })).body;
      await kms.set('refuse');
      try {
        const response = await fetch(`${runtime.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: 'mutation($input: AuthenticateServiceAccountInput!) { authenticateServiceAccount(input: $input) { accessToken } }',
            variables: { input: { clientId: account.clientId, clientSecret: account.clientSecret } },
          }),
        });
        expect(response.status).toBe(503);
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
        expect(body.errors[0]!.extensions.code).toBe('SERVICE_UNAVAILABLE');
      } finally {
        await kms.set('up');
      }
    });
  });
});
