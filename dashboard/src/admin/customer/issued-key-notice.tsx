/** A key just issued: its secret, this once, with a copy button and the warning that it is not shown again. */
import { useEffect, useRef, useState } from 'react';

export function IssuedKeyNotice(props: { issued: { key: string; prefix: string }; onDismiss: () => void }) {
  const [copied, setCopied] = useState<string>('');
  const field = useRef<HTMLInputElement>(null);

  useEffect(() => {
    field.current?.focus();
    field.current?.select();
  }, []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(props.issued.key);
      setCopied('Copied to the clipboard.');
    } catch {
      field.current?.select();
      setCopied('Copying is blocked here: the key is selected, press Ctrl+C (⌘C).');
    }
  }

  return (
    <div className="tg-banner" data-tone="warn" data-testid="issued-key">
      <strong>Copy this key now: it will not be shown again.</strong>
      <div className="tg-field">
        <label htmlFor="issued-key-value">New API key ({props.issued.prefix}…)</label>
        <div className="tg-row">
          <input
            ref={field}
            id="issued-key-value"
            className="tg-input tg-code tg-filter-grow"
            readOnly
            value={props.issued.key}
            data-testid="issued-key-value"
          />
          <button type="button" className="tg-button" onClick={copy} data-testid="copy-key">
            Copy
          </button>
          <button type="button" className="tg-button" data-variant="secondary" onClick={props.onDismiss}>
            Done
          </button>
        </div>
      </div>
      <p role="status" aria-live="polite" className="tg-small">
        {copied}
      </p>
    </div>
  );
}
