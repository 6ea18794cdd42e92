import { useState } from 'preact/hooks';
import { api, listAll } from '../api';
import { go, href } from '../router';
import {
  ActionButton,
  ActionError,
  DeleteButton,
  Field,
  formSubmit,
  LoadStatus,
  optionalNumber,
  Page,
  RecordView,
  SecretOnce,
  Select,
  useAction,
  useLoad,
  type Action,
} from '../ui';
import { OidcClients, SamlClients } from './clients';

interface Webhook {
  target: string;
  failurePolicy?: 'fail' | 'omit';
  timeoutMs?: number;
}
interface Application {
  id: string;
  name: string;
  description?: string;
  endUserTokenTtlSeconds?: number;
  webhook?: Webhook;
  webhookSecretConfigured?: boolean;
  loginUrl?: string;
  consentUrl?: string;
  logoutUrl?: string;
}

/** The editable settings of an application, as form strings. */
interface Settings {
  name: string;
  endUserTokenTtlSeconds: string;
  webhookTarget: string;
  failurePolicy: string;
  timeoutMs: string;
  loginUrl: string;
  consentUrl: string;
  logoutUrl: string;
}

const empty: Settings = { name: '', endUserTokenTtlSeconds: '', webhookTarget: '', failurePolicy: 'fail', timeoutMs: '', loginUrl: '', consentUrl: '', logoutUrl: '' };

function settingsOf(application: Application): Settings {
  return {
    name: application.name,
    endUserTokenTtlSeconds: String(application.endUserTokenTtlSeconds ?? ''),
    webhookTarget: application.webhook?.target ?? '',
    failurePolicy: application.webhook?.failurePolicy ?? 'fail',
    timeoutMs: String(application.webhook?.timeoutMs ?? ''),
    loginUrl: application.loginUrl ?? '',
    consentUrl: application.consentUrl ?? '',
    logoutUrl: application.logoutUrl ?? '',
  };
}

/** The request body; on update, an emptied optional setting is sent as null to clear it. */
function bodyOf(settings: Settings, update: boolean): Record<string, unknown> {
  const clear = update ? null : undefined;
  const timeoutMs = optionalNumber(settings.timeoutMs);
  const body: Record<string, unknown> = {
    name: settings.name,
    endUserTokenTtlSeconds: optionalNumber(settings.endUserTokenTtlSeconds),
    webhook: settings.webhookTarget ? { target: settings.webhookTarget, failurePolicy: settings.failurePolicy, ...(timeoutMs !== undefined ? { timeoutMs } : {}) } : clear,
    loginUrl: settings.loginUrl || clear,
    consentUrl: settings.consentUrl || clear,
    logoutUrl: settings.logoutUrl || clear,
  };
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

function SettingsFields({ settings, set, action }: { settings: Settings; set: (next: Settings) => void; action: Action }) {
  const field = (key: keyof Settings) => (value: string) => set({ ...settings, [key]: value });
  return (
    <>
      <Field label="Name" name="name" value={settings.name} onInput={field('name')} error={action.fieldError('name')} required />
      <Field
        label="End-user token lifetime (seconds)"
        name="endUserTokenTtlSeconds"
        type="number"
        value={settings.endUserTokenTtlSeconds}
        onInput={field('endUserTokenTtlSeconds')}
        error={action.fieldError('endUserTokenTtlSeconds')}
      />
      <fieldset>
        <legend>Enrichment webhook</legend>
        <Field
          label="Webhook target (https URL or Lambda ARN)"
          name="webhookTarget"
          value={settings.webhookTarget}
          onInput={field('webhookTarget')}
          error={action.fieldError('webhook')}
        />
        <Select label="Failure policy" name="failurePolicy" value={settings.failurePolicy} options={['fail', 'omit']} onChange={field('failurePolicy')} />
        <Field label="Webhook timeout (ms)" name="timeoutMs" type="number" value={settings.timeoutMs} onInput={field('timeoutMs')} />
      </fieldset>
      <fieldset>
        <legend>Login pages</legend>
        <Field label="Login URL" name="loginUrl" value={settings.loginUrl} onInput={field('loginUrl')} error={action.fieldError('loginUrl')} />
        <Field label="Consent URL" name="consentUrl" value={settings.consentUrl} onInput={field('consentUrl')} error={action.fieldError('consentUrl')} />
        <Field label="Logout URL" name="logoutUrl" value={settings.logoutUrl} onInput={field('logoutUrl')} error={action.fieldError('logoutUrl')} />
      </fieldset>
    </>
  );
}

export function ApplicationsPage() {
  const list = useLoad(() => listAll<Application>('/v1/applications'));
  const create = useAction();
  const [settings, setSettings] = useState<Settings>(empty);
  return (
    <Page title="Applications">
      <form
        aria-label="Create an application"
        onSubmit={formSubmit(() =>
          create.run(async () => {
            const created = await api<Application>('POST', '/v1/applications', bodyOf(settings, false));
            setSettings(empty);
            go('applications', created.id);
          }),
        )}
      >
        <h2>Create an application</h2>
        <SettingsFields settings={settings} set={setSettings} action={create} />
        <ActionButton type="submit" busy={create.busy}>
          Create application
        </ActionButton>
        <ActionError action={create} />
      </form>
      <h2>Applications</h2>
      <LoadStatus of={list} />
      <ul>
        {(list.data ?? []).map((application) => (
          <li key={application.id}>
            <a href={href('applications', application.id)}>{application.name}</a> <code>{application.id}</code>
          </li>
        ))}
      </ul>
    </Page>
  );
}

export function ApplicationPage({ id }: { id: string }) {
  const path = `/v1/applications/${encodeURIComponent(id)}`;
  const application = useLoad(() => api<Application>('GET', path), [id]);
  const save = useAction();
  const secret = useAction();
  const [edited, setEdited] = useState<Settings | undefined>();
  const [webhookSecret, setWebhookSecret] = useState<string | undefined>();
  const settings = edited ?? (application.data ? settingsOf(application.data) : empty);
  return (
    <Page title={`Application ${application.data?.name ?? id}`}>
      <LoadStatus of={application} />
      {application.data && <RecordView value={application.data} label="Application" />}
      <form
        aria-label="Application settings"
        onSubmit={formSubmit(() =>
          save.run(async () => {
            await api('PATCH', path, bodyOf(settings, true));
            setEdited(undefined);
            application.reload();
          }),
        )}
      >
        <h2>Settings</h2>
        <SettingsFields settings={settings} set={setEdited} action={save} />
        <div class="row">
          <ActionButton type="submit" busy={save.busy}>
            Save application
          </ActionButton>
          <DeleteButton action={save} path={path} confirmation={`Delete application ${application.data?.name ?? id} and its webhook secret?`} then={() => go('applications')}>
            Delete application
          </DeleteButton>
        </div>
        <ActionError action={save} />
      </form>
      <section aria-labelledby="webhook-secret-title">
        <h2 id="webhook-secret-title">Webhook secret</h2>
        <p>{application.data?.webhookSecretConfigured ? 'A webhook secret is configured.' : 'No webhook secret yet: webhook calls are not signed.'}</p>
        <div class="row">
          <ActionButton
            busy={secret.busy}
            onClick={() =>
              secret.run(async () => {
                const answer = await api<{ webhookSecret: string }>('POST', `${path}/webhook-secret`);
                setWebhookSecret(answer.webhookSecret);
                application.reload();
              })
            }
          >
            Generate webhook secret
          </ActionButton>
          <DeleteButton
            action={secret}
            path={`${path}/webhook-secret`}
            confirmation={`Delete the webhook secret of ${application.data?.name ?? id}? Webhook calls go unsigned until a new one is generated.`}
            then={() => application.reload()}
          >
            Delete webhook secret
          </DeleteButton>
        </div>
        <ActionError action={secret} />
        {webhookSecret && <SecretOnce label="Webhook secret" value={webhookSecret} onDismiss={() => setWebhookSecret(undefined)} />}
      </section>
      <OidcClients applicationPath={path} />
      <SamlClients applicationPath={path} />
    </Page>
  );
}
