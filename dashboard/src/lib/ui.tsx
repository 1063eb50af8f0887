/**
 * Small shared pieces of both pages: usage meters, a bar chart in SVG with its data as a table for
 * screen readers, status badges, banners and the loading / empty / error states.
 */
import type { ReactNode } from 'react';
import { ApiError } from './api';
import type { Resource } from './use-resource';

export function Meter(props: {
  label: string;
  /** 0-100, or null for "no limit" (the bar is then not drawn). */
  percent: number | null;
  detail: string;
  id: string;
  /** Set when the customer's contract, not its plan, sets this limit: a "Contract" badge shows it. */
  contract?: boolean;
}) {
  const { label, percent, detail, id } = props;
  const level = percent === null ? 'none' : percent >= 100 ? 'full' : percent >= 80 ? 'warn' : 'ok';
  return (
    <div className="tg-meter" data-level={level} data-testid={`meter-${id}`}>
      <div className="tg-spread">
        <span id={`${id}-label`} style={{ fontWeight: 600 }}>
          {label}
          {props.contract ? (
            <>
              {' '}
              <span
                className="tg-badge"
                data-tone="info"
                data-testid={`meter-${id}-contract`}
                title="Set by your contract, not your plan"
              >
                Contract
              </span>
            </>
          ) : null}
        </span>
        <span className="tg-num tg-small" data-testid={`meter-${id}-detail`}>
          {detail}
        </span>
      </div>
      {percent === null ? (
        <div className="tg-small tg-muted">No limit on this plan</div>
      ) : (
        <div
          className="tg-meter-track"
          role="progressbar"
          aria-labelledby={`${id}-label`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          aria-valuetext={`${percent}% used: ${detail}`}
        >
          <div className="tg-meter-fill" style={{ width: `${percent}%` }} />
        </div>
      )}
    </div>
  );
}

export interface ChartPoint {
  label: string;
  /** Full label for the table and tooltip (e.g. a full date). */
  title: string;
  value: number;
  /** How the value reads (e.g. "12.5 credits", "$29.00"). */
  display: string;
}

/** Bars over time; fixed height so it never shifts the page; the numbers also as a hidden table. */
export function BarChart(props: {
  points: ChartPoint[];
  caption: string;
  valueHeading: string;
  /** Also write each value under its bar (for a few points: a zero then reads as zero, not a gap). */
  showValues?: boolean;
}) {
  const { points, caption, valueHeading } = props;
  const width = 600;
  const height = 160;
  const top = points.reduce<ChartPoint | null>(
    (best, p) => (best === null || p.value > best.value ? p : best),
    null,
  );
  const max = Math.max(1, top?.value ?? 0);
  const slot = points.length > 0 ? width / points.length : width;
  // A few points must not become a wall of colour: bars are at most 48 units wide, centred in their slot.
  const barWidth = Math.max(1, Math.min(slot * 0.7, 48));
  const every = Math.max(1, Math.ceil(points.length / 8));
  // The SVG stretches to the box; its labels are HTML beside it so text keeps its size on a phone.
  return (
    <figure className="tg-chart-figure">
      <div className="tg-chart-max tg-small tg-muted" aria-hidden="true">
        {top !== null && top.value > 0 ? `max ${top.display}` : '\u00a0'}
      </div>
      <svg
        className="tg-chart"
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={caption}
      >
        <line className="tg-chart-axis" x1={0} x2={width} y1={height} y2={height} />
        {points.map((point, index) => {
          const h = Math.round(((height - 4) * point.value) / max);
          return (
            <rect
              key={point.title}
              className="tg-chart-bar"
              x={index * slot + (slot - barWidth) / 2}
              width={barWidth}
              y={height - h}
              height={h}
            >
              <title>{`${point.title}: ${point.display}`}</title>
            </rect>
          );
        })}
      </svg>
      <div className="tg-chart-labels tg-small tg-muted" aria-hidden="true">
        {points.map((point, index) =>
          index % every === 0 ? (
            <span key={`l-${point.title}`} style={{ left: `${((index + 0.5) * 100) / points.length}%` }}>
              {point.label}
            </span>
          ) : null,
        )}
      </div>
      {props.showValues ? (
        <div className="tg-chart-labels tg-small" aria-hidden="true" data-testid="chart-values">
          {points.map((point, index) => (
            <span key={`v-${point.title}`} style={{ left: `${((index + 0.5) * 100) / points.length}%` }}>
              {point.display}
            </span>
          ))}
        </div>
      ) : null}
      <figcaption className="tg-visually-hidden">
        <table>
          <caption>{caption}</caption>
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">{valueHeading}</th>
            </tr>
          </thead>
          <tbody>
            {points.map((point) => (
              <tr key={point.title}>
                <td>{point.title}</td>
                <td>{point.display}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </figcaption>
    </figure>
  );
}

export type Tone = 'ok' | 'warn' | 'danger' | 'info' | 'neutral';

const statusTones: Record<string, Tone> = {
  active: 'ok',
  trialing: 'info',
  past_due: 'warn',
  suspended: 'danger',
  canceled: 'neutral',
  paid: 'ok',
  open: 'warn',
  draft: 'neutral',
  void: 'neutral',
  uncollectible: 'danger',
  processed: 'ok',
  received: 'info',
  failed: 'danger',
};

export function StatusBadge(props: { status: string; label?: string }) {
  return (
    <span className="tg-badge" data-tone={statusTones[props.status] ?? 'neutral'} data-testid="status-badge">
      {props.label ?? props.status.replace('_', ' ')}
    </span>
  );
}

export function Banner(props: { tone: Tone; title: string; children?: ReactNode; testId?: string }) {
  const urgent = props.tone === 'danger' || props.tone === 'warn';
  return (
    <div
      className="tg-banner"
      data-tone={props.tone}
      role={urgent ? 'alert' : 'status'}
      data-testid={props.testId}
    >
      <strong>{props.title}</strong>
      {props.children ? <div>{props.children}</div> : null}
    </div>
  );
}

/** A placeholder of fixed height while the first load runs. */
export function Skeleton(props: { height: number; label: string }) {
  return (
    <div className="tg-skeleton" style={{ height: props.height }} role="status" aria-live="polite">
      <span className="tg-visually-hidden">{props.label}</span>
    </div>
  );
}

export function errorText(error: Error): string {
  return error instanceof ApiError ? error.message : 'Something went wrong. Please retry.';
}

export function ErrorState(props: { error: Error; retry?: () => void }) {
  return (
    <div className="tg-banner" data-tone="danger" role="alert">
      <strong>Could not load this.</strong> <span>{errorText(props.error)}</span>{' '}
      {props.retry ? (
        <button type="button" className="tg-button" data-variant="secondary" onClick={props.retry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

export function EmptyState(props: { children: ReactNode }) {
  return <p className="tg-muted">{props.children}</p>;
}

/**
 * Renders a resource's three states: a skeleton of `height` while loading, the error with a retry,
 * or the content. An error after data was shown keeps the data and adds the error above it.
 */
export function Loaded<T>(props: {
  resource: Resource<T>;
  height: number;
  label: string;
  children: (data: T) => ReactNode;
}) {
  const { resource } = props;
  if (resource.state === 'loading')
    return <Skeleton height={props.height} label={`Loading ${props.label}`} />;
  if (resource.state === 'error') {
    return (
      <>
        <ErrorState error={resource.error} retry={resource.reload} />
        {resource.data !== undefined ? props.children(resource.data) : null}
      </>
    );
  }
  return <>{props.children(resource.data)}</>;
}
