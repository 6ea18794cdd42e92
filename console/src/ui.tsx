import type { ComponentChildren, TargetedEvent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api';

/** The shared pieces of every page: labelled fields with their errors, busy buttons, secrets shown once. */

export interface Action {
  readonly busy: boolean;
  readonly error: ApiError | Error | undefined;
  /** Runs one call at a time; its error lands in `error` (field errors beside their fields). */
  run(work: () => Promise<void>): Promise<void>;
  fieldError(field: string): string | undefined;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | undefined>(undefined);
  return {
    busy,
    error,
    async run(work) {
      if (busy) return;
      setBusy(true);
      setError(undefined);
      try {
        await work();
      } catch (caught) {
        setError(caught instanceof Error ? caught : new Error(String(caught)));
      } finally {
        setBusy(false);
      }
    },
    fieldError: (field) => (error instanceof ApiError ? error.fieldMessage(field) : undefined),
  };
}

/** Loads data for a page; `reload` fetches it again after a change. */
export function useLoad<T>(load: () => Promise<T>, keys: readonly unknown[] = []): { data: T | undefined; error: Error | undefined; loading: boolean; reload: () => void } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setLoading(true);
    load()
      .then((value) => {
        if (!current) return;
        setData(value);
        setError(undefined);
      })
      .catch((caught: Error) => current && setError(caught))
      .finally(() => current && setLoading(false));
    return () => {
      current = false;
    };
  }, [...keys, round]);
  return { data, error, loading, reload: () => setRound((value) => value + 1) };
}

let fieldCounter = 0;
export function useFieldId(prefix: string): string {
  const [id] = useState(() => `${prefix}-${++fieldCounter}`);
  return id;
}

interface FieldProps {
  readonly label: string;
  readonly value: string;
  readonly onInput: (value: string) => void;
  readonly error?: string | undefined;
  readonly hint?: string;
  readonly type?: 'text' | 'number' | 'password';
  readonly name?: string;
  readonly multiline?: boolean;
  readonly required?: boolean;
  readonly autoComplete?: string;
}

/** A labelled input; its error is announced and tied to it with `aria-describedby`. */
export function Field(props: FieldProps) {
  const id = useFieldId(props.name ?? 'field');
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [props.hint ? hintId : '', props.error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: props.name,
    value: props.value,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': describedBy,
    required: props.required,
    onInput: (event: TargetedEvent<HTMLInputElement | HTMLTextAreaElement>) => props.onInput(event.currentTarget.value),
  };
  return (
    <div class={props.error ? 'field invalid' : 'field'}>
      <label for={id}>{props.label}</label>
      {props.multiline ? (
        <textarea rows={4} {...common} />
      ) : props.type === 'password' ? (
        <input type="password" autoComplete={props.autoComplete ?? 'off'} {...common} />
      ) : props.type === 'number' ? (
        <input type="number" {...common} />
      ) : (
        <input type="text" autoComplete={props.autoComplete ?? 'off'} {...common} />
      )}
      {props.hint && <small id={hintId}>{props.hint}</small>}
      {props.error && (
        <p class="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

export function Checkbox(props: { label: string; checked: boolean; onChange: (checked: boolean) => void; name?: string }) {
  const id = useFieldId(props.name ?? 'check');
  return (
    <div class="check">
      <input type="checkbox" id={id} name={props.name} checked={props.checked} onChange={(event) => props.onChange(event.currentTarget.checked)} />
      <label for={id}>{props.label}</label>
    </div>
  );
}

export function Select(props: { label: string; value: string; options: readonly string[]; onChange: (value: string) => void; name?: string }) {
  const id = useFieldId(props.name ?? 'select');
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name} value={props.value} onChange={(event) => props.onChange(event.currentTarget.value)}>
        {props.options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </div>
  );
}

/** A button that says when its action runs, and cannot be pressed twice meanwhile. */
export function ActionButton(props: { busy: boolean; children: ComponentChildren; onClick?: () => void; type?: 'submit' | 'button'; danger?: boolean }) {
  return (
    <button type={props.type ?? 'button'} class={props.danger ? 'danger' : undefined} disabled={props.busy} aria-busy={props.busy} onClick={props.onClick}>
      {props.busy ? <span class="spinner" aria-hidden="true" /> : null}
      {props.children}
      {props.busy ? <span class="visually-hidden"> (working…)</span> : null}
    </button>
  );
}

/**
 * A danger button that deletes `path` through `action` once the user confirms `confirmation` (which
 * names what goes), then calls `then` (reload a list, go elsewhere).
 */
export function DeleteButton(props: { action: Action; path: string; confirmation: string; then: () => void; children: ComponentChildren }) {
  return (
    <ActionButton
      danger
      busy={props.action.busy}
      onClick={() =>
        props.action.run(async () => {
          if (!confirm(props.confirmation)) return;
          await api('DELETE', props.path);
          props.then();
        })
      }
    >
      {props.children}
    </ActionButton>
  );
}

/** The error of an action that no single field explains. */
export function ActionError({ action }: { action: Action }) {
  const error = action.error;
  if (!error) return null;
  const fields = error instanceof ApiError ? error.fields : [];
  return (
    <div class="error" role="alert">
      <strong>{error.message}</strong>
      {fields.length > 0 && (
        <ul>
          {fields.map((field) => (
            <li key={field.path}>
              <code>{field.path}</code>: {field.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Where a page's data stands while `useLoad` reads it: a spinner while it loads, and the error of the last read, if any. */
export function LoadStatus({ of: load }: { of: { loading: boolean; error: Error | undefined } }) {
  return (
    <>
      {load.loading && (
        <p class="loading" role="status">
          <span class="spinner" aria-hidden="true" /> Loading…
        </p>
      )}
      {load.error && (
        <div class="error" role="alert">
          {load.error.message}
        </div>
      )}
    </>
  );
}

/** A secret the API answers once: shown with a copy button and a warning that it will not be shown again. */
export function SecretOnce({ label, value, onDismiss }: { label: string; value: string; onDismiss: () => void }) {
  const [copied, setCopied] = useState(false);
  const id = useFieldId('secret');
  return (
    <section class="secret" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{label}</h3>
      <p>Copy it now: it is shown this once and cannot be read again.</p>
      <label for={id} class="visually-hidden">
        {label}
      </label>
      <input id={id} class="secret-value" readOnly value={value} onFocus={(event) => event.currentTarget.select()} />
      <div class="row">
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(value).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          Copy
        </button>
        <button type="button" onClick={onDismiss}>
          I have stored it
        </button>
        <span aria-live="polite">{copied ? 'Copied' : ''}</span>
      </div>
    </section>
  );
}

export function Json({ value, label }: { value: unknown; label?: string }) {
  return (
    // A block that may scroll must take keyboard focus to be scrolled without a mouse (axe's
    // scrollable-region-focusable, which the browser tests run). As a named region (WAI-ARIA's
    // pattern for a focusable scrolling area), screen readers say what took the focus; each page
    // labels its blocks differently, as landmarks must be.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: keyboard scrolling, as said above
    <section class="json" tabIndex={0} aria-label={label ?? 'JSON'}>
      <pre>{JSON.stringify(value, null, 2)}</pre>
    </section>
  );
}

export function Page({ title, children }: { title: string; children: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · Latchkey console`;
  }, [title]);
  return (
    <section class="page">
      <h1 tabIndex={-1}>{title}</h1>
      {children}
    </section>
  );
}

/** Splits a textarea of one value per line. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** A number field's value, or undefined when empty (so the API keeps its default). */
export function optionalNumber(text: string): number | undefined {
  return text.trim() === '' ? undefined : Number(text);
}

export function formSubmit(handler: () => void) {
  return (event: Event) => {
    event.preventDefault();
    handler();
  };
}

// Words of a field name written as the console's prose writes them (`redirectUris` → "Redirect URIs").
const ACRONYMS: Readonly<Record<string, string>> = {
  id: 'ID',
  ids: 'IDs',
  url: 'URL',
  urls: 'URLs',
  uri: 'URI',
  uris: 'URIs',
  ttl: 'TTL',
  acs: 'ACS',
  sp: 'SP',
  idp: 'IDP',
  pkce: 'PKCE',
  jwks: 'JWKS',
  oidc: 'OIDC',
  saml: 'SAML',
  arn: 'ARN',
};

/** A field name as a label: `accessTokenTtlSeconds` → "Access token TTL seconds". */
function fieldLabel(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_]+/)
    .filter(Boolean)
    .map((word) => ACRONYMS[word.toLowerCase()] ?? word.toLowerCase());
  const first = words[0] ?? name;
  return [first.charAt(0).toUpperCase() + first.slice(1), ...words.slice(1)].join(' ');
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
// Identifiers, keys, addresses: shown as code, which is copied whole with a double click.
const CODE_FIELD = /(^id$|Id$|Ids$|^key$|^resource$|Key$|Arn$|Url$|Uri$|Uris$|^audience$|^target$|^clients$|EntityId$|^kid$|^sub$)/;
const LONG_TEXT = 160;

function FieldValue({ name, value }: { name: string; value: unknown }) {
  if (value === null || value === undefined || value === '') return <span class="none">none</span>;
  if (typeof value === 'boolean') return <>{value ? 'yes' : 'no'}</>;
  if (typeof value === 'number') return <>{String(value)}</>;
  if (typeof value === 'string') {
    if (ISO_DATE_TIME.test(value)) return <time dateTime={value}>{value.replace('T', ' ').replace(/\.\d+/, '').replace(/Z$/, ' UTC')}</time>;
    if (value.length > LONG_TEXT) {
      return (
        <>
          <code>{value.slice(0, 48)}…</code> ({value.length} characters, in the raw JSON)
        </>
      );
    }
    return CODE_FIELD.test(name) || /^[a-z]+_[A-Za-z0-9]+$/.test(value) ? <code>{value}</code> : value;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return <span class="none">none</span>;
    if (value.every((item) => typeof item !== 'object' || item === null)) {
      return (
        <ul class="values">
          {value.map((item, index) => (
            <li key={index}>
              <FieldValue name={name} value={item} />
            </li>
          ))}
        </ul>
      );
    }
    return (
      <ol class="records">
        {value.map((item, index) => (
          <li key={index}>
            <FieldValue name={name} value={item} />
          </li>
        ))}
      </ol>
    );
  }
  if (typeof value === 'object') {
    const entries = Object.values(value);
    if (entries.length === 0) return <span class="none">none</span>;
    // A map keyed by data (grants: resource key → permissions), not a record of named fields.
    return <FieldList value={value as Record<string, unknown>} keyed={entries.every(Array.isArray)} />;
  }
  return <>{String(value)}</>;
}

/**
 * A record's fields as a definition list: names as labels, dates readable, flags as yes/no, IDs as
 * code. `keyed`: the names are data (a map's keys), shown as they are.
 */
function FieldList({ value, keyed = false }: { value: Record<string, unknown>; keyed?: boolean }) {
  return (
    <dl class="fields">
      {Object.entries(value).map(([name, field]) => (
        <div key={name}>
          <dt>{keyed ? <code>{name}</code> : fieldLabel(name)}</dt>
          <dd>
            <FieldValue name={name} value={field} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** A record as readable fields, with its JSON (labelled `label`) in a collapsed "Raw JSON" block. */
export function RecordView({ value, label }: { value: object; label: string }) {
  return (
    <div class="record">
      <FieldList value={value as Record<string, unknown>} />
      <details class="raw-json">
        <summary>Raw JSON</summary>
        <Json value={value} label={label} />
      </details>
    </div>
  );
}
