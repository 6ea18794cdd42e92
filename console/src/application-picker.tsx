import { listAll } from './api';
import { LoadStatus, useFieldId, useLoad } from './ui';

interface ApplicationSummary {
  id: string;
  name: string;
}

/**
 * The environment's applications (every page of the list) as checkboxes by name; `value` holds the
 * IDs of the checked ones. An assigned ID whose application is gone stays listed by its ID, checked,
 * so a save does not drop it unseen; unchecking it removes it.
 */
export function ApplicationPicker(props: { legend: string; value: readonly string[]; onChange: (ids: string[]) => void; error?: string | undefined }) {
  const applications = useLoad(() => listAll<ApplicationSummary>('/v1/applications'));
  const id = useFieldId('applications');
  const errorId = `${id}-error`;
  const known = applications.data ?? [];
  const gone = applications.data ? props.value.filter((assigned) => !known.some((application) => application.id === assigned)) : [];
  const toggle = (application: string, on: boolean) =>
    props.onChange(on ? [...props.value.filter((other) => other !== application), application] : props.value.filter((other) => other !== application));
  return (
    <fieldset class={props.error ? 'picker invalid' : 'picker'} aria-describedby={props.error ? errorId : undefined}>
      <legend>{props.legend}</legend>
      <LoadStatus of={applications} />
      {applications.data && known.length === 0 && gone.length === 0 && <p>No applications yet.</p>}
      <ul class="choices">
        {[...known.map((application) => ({ key: application.id, name: application.name })), ...gone.map((key) => ({ key, name: 'no such application' }))].map((choice) => (
          <li key={choice.key} class="check">
            <input type="checkbox" id={`${id}-${choice.key}`} checked={props.value.includes(choice.key)} onChange={(event) => toggle(choice.key, event.currentTarget.checked)} />
            <label for={`${id}-${choice.key}`}>
              {choice.name} <code>{choice.key}</code>
            </label>
          </li>
        ))}
      </ul>
      {props.error && (
        <p class="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      )}
    </fieldset>
  );
}
