/**
 * Ids (`cus_…`, `in_…`, `evt_…`) are read and copied whole, so they never wrap mid-id: one line,
 * cut with an ellipsis only when the column is narrower than the id, the full id in the tooltip. Where
 * an admin needs the id elsewhere (the customer page), a Copy button puts it on the clipboard.
 */
import { useState } from 'react';

export function IdText(props: { value: string; muted?: boolean; testId?: string }) {
  return (
    <span className={props.muted ? 'tg-id tg-muted' : 'tg-id'} title={props.value} data-testid={props.testId}>
      {props.value}
    </span>
  );
}

export function CopyableId(props: { value: string | null; label: string }) {
  const [copied, setCopied] = useState(false);
  if (props.value === null) return <>—</>;
  const value = props.value;
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }
  return (
    <span className="tg-id-row">
      <IdText value={value} />
      <button
        type="button"
        className="tg-copy-button"
        onClick={copy}
        aria-label={copied ? `${props.label} copied` : `Copy ${props.label}`}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}
