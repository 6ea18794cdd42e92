import { useState } from 'preact/hooks';
import { api } from '../api';
import { ActionButton, ActionError, Field, formSubmit, Json, LoadStatus, Page, useAction, useLoad } from '../ui';

interface AuditEvent {
  id: string;
  sequence: number;
  time: string;
  action: string;
  outcome: 'success' | 'failure';
  errorCode?: string;
  actor: { type: string; id?: string; clientId?: string };
  target?: { type: string; id?: string };
  sourceIp?: string;
  changedFields?: string[];
}

interface EventPage {
  items: AuditEvent[];
  cursor?: string;
}

interface Verification {
  valid: boolean;
  checked: number;
  brokenAt?: { sequence: number; id?: string; reason: string };
  cursor?: string;
}

const FILTERS = [
  ['action', 'Action', 'e.g. service_account.secret_reset'],
  ['actorId', 'Actor ID', 'the service account (or client) that acted'],
  ['targetId', 'Target ID', 'the record acted on'],
  ['since', 'Since', 'ISO 8601, e.g. 2026-12-01T00:00:00Z'],
  ['until', 'Until', 'ISO 8601, exclusive'],
] as const;

type Filters = Record<(typeof FILTERS)[number][0], string>;
const NO_FILTERS: Filters = { action: '', actorId: '', targetId: '', since: '', until: '' };

function query(filters: Filters, cursor?: string): string {
  const parameters = new URLSearchParams({ limit: '50' });
  for (const [name, value] of Object.entries(filters)) if (value.trim()) parameters.set(name, value.trim());
  if (cursor) parameters.set('cursor', cursor);
  return parameters.toString();
}

/** The environment's audit events, newest first, with filters; and a check of the hash chain. */
export function AuditLogPage() {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [more, setMore] = useState<{ items: AuditEvent[]; cursor?: string } | undefined>(undefined);
  const list = useLoad(() => api<EventPage>('GET', `/v1/audit-events?${query(filters)}`), [query(filters)]);
  const loadMore = useAction();
  const verify = useAction();
  const [verification, setVerification] = useState<Verification | undefined>(undefined);
  const items = [...(list.data?.items ?? []), ...(more?.items ?? [])];
  const cursor = more ? more.cursor : list.data?.cursor;
  return (
    <Page title="Audit log">
      <form
        aria-label="Filter audit events"
        onSubmit={formSubmit(() => {
          setMore(undefined);
          setFilters(draft);
        })}
      >
        <h2>Filter</h2>
        {FILTERS.map(([name, label, hint]) => (
          <Field key={name} label={label} name={name} value={draft[name]} hint={hint} onInput={(value) => setDraft({ ...draft, [name]: value })} />
        ))}
        <ActionButton type="submit" busy={list.loading}>
          Show events
        </ActionButton>
      </form>
      <h2>Events</h2>
      <LoadStatus of={list} />
      {list.data && items.length === 0 && <p>No audit events match.</p>}
      {items.map((event) => (
        <details key={event.id}>
          <summary>
            {event.time} <code>{event.action}</code> {event.outcome === 'success' ? 'succeeded' : `failed (${event.errorCode ?? 'error'})`} by{' '}
            <code>{event.actor.id ?? event.actor.type}</code>
            {event.target?.id ? (
              <>
                {' '}
                on <code>{event.target.id}</code>
              </>
            ) : null}
          </summary>
          <Json value={event} label={`Audit event ${event.sequence}`} />
        </details>
      ))}
      {cursor && (
        <ActionButton
          busy={loadMore.busy}
          onClick={() =>
            loadMore.run(async () => {
              const page = await api<EventPage>('GET', `/v1/audit-events?${query(filters, cursor)}`);
              setMore({ items: [...(more?.items ?? []), ...page.items], ...(page.cursor ? { cursor: page.cursor } : {}) });
            })
          }
        >
          Load more
        </ActionButton>
      )}
      <ActionError action={loadMore} />
      <h2>Hash chain</h2>
      <p>Checks that no event was altered, removed or cut from the end since it was written.</p>
      <ActionButton
        busy={verify.busy}
        onClick={() =>
          verify.run(async () => {
            let answer = await api<Verification>('GET', '/v1/audit-events/verify');
            let checked = answer.checked;
            while (answer.valid && answer.cursor) {
              answer = await api<Verification>('GET', `/v1/audit-events/verify?cursor=${encodeURIComponent(answer.cursor)}`);
              checked += answer.checked;
            }
            setVerification({ ...answer, checked });
          })
        }
      >
        Verify chain
      </ActionButton>
      <ActionError action={verify} />
      {verification && (
        <p role="status">
          {verification.valid
            ? `The chain is whole: ${verification.checked} events checked.`
            : `The chain breaks at event ${verification.brokenAt?.sequence}: ${verification.brokenAt?.reason}.`}
        </p>
      )}
    </Page>
  );
}
