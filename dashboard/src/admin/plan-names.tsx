/**
 * The catalog's plans (GET /api/v1/plans), read once for the signed-in console, so every view shows a
 * plan's name ("Pro") where the API gives its id ("pro"). An id the catalog no longer has is shown as is.
 */
import { createContext, type ReactNode, useCallback, useContext } from 'react';
import { useResource } from '../lib/use-resource';
import { useApi } from './admin-session';
import type { Plan, PlanCatalog } from './admin-types';

const PlansContext = createContext<Plan[] | undefined>(undefined);

export function PlansProvider(props: { children: ReactNode }) {
  const api = useApi();
  const plans = useResource((signal) => api.get<PlanCatalog>('/api/v1/plans', undefined, signal), [api]);
  return <PlansContext.Provider value={plans.data?.plans}>{props.children}</PlansContext.Provider>;
}

/** The plans, or undefined while they load. */
export function usePlans(): Plan[] | undefined {
  return useContext(PlansContext);
}

/** Plan id -> its name. */
export function usePlanName(): (id: string) => string {
  const plans = usePlans();
  return useCallback((id: string) => plans?.find((plan) => plan.id === id)?.name ?? id, [plans]);
}
