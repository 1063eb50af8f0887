/**
 * Search (debounced while typing, at once on Enter), tier and status, and the order the table's
 * headers choose. The values live in the URL query (?search=&plan=&status=&sort=) so a reload or a
 * shared link shows the same list.
 */
import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'wouter';
import type { Plan } from '../admin-types';
import { type AccountStatus, accountStatuses } from '../admin-types';
import { FilterSelect, statusOptions } from '../filter-select';
import { parseCustomerSort } from './customer-sort';
import type { CustomerFilters } from './fetch-customers';

const debounceMs = 300;

export function useCustomerFilters(): [CustomerFilters, (change: Partial<CustomerFilters>) => void] {
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const filters: CustomerFilters = {
    search: params.get('search') ?? '',
    plan: params.get('plan') ?? '',
    status: (accountStatuses as string[]).includes(status) ? (status as AccountStatus) : '',
    sort: parseCustomerSort(params.get('sort')),
  };
  const change = useCallback(
    (next: Partial<CustomerFilters>) =>
      setParams(
        (current) => {
          const updated = new URLSearchParams(current);
          for (const [name, value] of Object.entries(next)) {
            if (value) updated.set(name, value);
            else updated.delete(name);
          }
          return updated;
        },
        { replace: true },
      ),
    [setParams],
  );
  return [filters, change];
}

/** The catalog's plans, plus the filtered one if the catalog no longer has it (an old link). */
function tierOptions(plans: Plan[] | undefined, current: string) {
  const options = (plans ?? []).map((plan) => ({ value: plan.id, label: plan.name }));
  if (current !== '' && !options.some((option) => option.value === current)) {
    options.push({ value: current, label: current });
  }
  return options;
}

export function CustomerFilterBar(props: {
  filters: CustomerFilters;
  onChange: (change: Partial<CustomerFilters>) => void;
  plans: Plan[] | undefined;
}) {
  const { filters, onChange } = props;
  const [text, setText] = useState(filters.search);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;

  // Follow the URL when it changes from outside (back button, a link).
  useEffect(() => {
    setText((current) => (current.trim() === filters.search ? current : filters.search));
  }, [filters.search]);

  useEffect(() => {
    const value = text.trim();
    if (value === filters.search) return;
    const timer = setTimeout(() => onChangeRef.current({ search: value }), debounceMs);
    return () => clearTimeout(timer);
  }, [text, filters.search]);

  function submit(event: FormEvent) {
    event.preventDefault();
    onChange({ search: text.trim() });
  }

  return (
    <form className="tg-filter-bar" onSubmit={submit} aria-label="Filter customers">
      <div className="tg-field tg-filter-grow">
        <label htmlFor="customer-search">Search</label>
        <input
          id="customer-search"
          className="tg-input"
          type="search"
          placeholder="Name, email or id"
          value={text}
          onChange={(event) => setText(event.target.value)}
          data-testid="customer-search"
        />
      </div>
      <FilterSelect
        id="customer-tier"
        label="Tier"
        value={filters.plan}
        onChange={(plan) => onChange({ plan })}
        allLabel="All tiers"
        options={tierOptions(props.plans, filters.plan)}
        testId="customer-tier"
      />
      <FilterSelect
        id="customer-status"
        label="Status"
        value={filters.status}
        onChange={(status) => onChange({ status: status as AccountStatus | '' })}
        allLabel="All statuses"
        options={statusOptions(accountStatuses)}
        testId="customer-status"
      />
      <button type="submit" className="tg-button" data-variant="secondary">
        Search
      </button>
    </form>
  );
}
