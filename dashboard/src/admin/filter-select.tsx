/** A labelled <select> for one list filter, with an "all" choice that clears it. */
export function FilterSelect(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  allLabel: string;
  options: readonly { value: string; label: string }[];
  testId: string;
}) {
  return (
    <div className="tg-field">
      <label htmlFor={props.id}>{props.label}</label>
      <select
        id={props.id}
        className="tg-select"
        value={props.value}
        onChange={(event) => props.onChange(event.target.value)}
        data-testid={props.testId}
      >
        <option value="">{props.allLabel}</option>
        {props.options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Status values as options: "past_due" reads "past due". */
export const statusOptions = (statuses: readonly string[]) =>
  statuses.map((status) => ({ value: status, label: status.replace('_', ' ') }));
