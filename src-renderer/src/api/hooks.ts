import { useMutation, useQuery, useQueryClient, type UseQueryOptions } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useRef, useState } from 'react';
import type { CoreEventName, CoreEvents, ProcedureInput, ProcedureName, ProcedureOutput } from '../../../src-main/core/api/contract';
import { unwrap, type ApiClient, type ConnectionState } from './client';

export const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error('ApiContext missing');
  return api;
}

/** A contract procedure as a react-query query; the key is [procedure, input]. */
export function useProc<P extends ProcedureName>(proc: P, input: ProcedureInput<P>, opts: Omit<UseQueryOptions<ProcedureOutput<P>>, 'queryKey' | 'queryFn'> = {}) {
  const api = useApi();
  return useQuery<ProcedureOutput<P>>({ queryKey: [proc, input], queryFn: () => unwrap(api.call(proc, input)), ...opts });
}

/** A contract procedure as a mutation; on success it refreshes the queries it affects. */
export function useProcMutation<P extends ProcedureName>(proc: P, invalidates: ProcedureName[] = []) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation<ProcedureOutput<P>, Error, ProcedureInput<P>>({
    mutationFn: (input) => unwrap(api.call(proc, input)),
    onSuccess: () => {
      for (const p of invalidates) void qc.invalidateQueries({ queryKey: [p] });
    },
  });
}

/** The queries an event makes stale: a fixed list, or one chosen from the event's data. */
type Invalidation<E extends CoreEventName> = ProcedureName[] | ((data: CoreEvents[E]) => ProcedureName[]);

/** Which queries each core event makes stale: the live part of the console. */
const INVALIDATES: { [E in CoreEventName]: Invalidation<E> } = {
  'tick.started': ['agents.list', 'agents.status', 'agents.ticks'],
  'tick.finished': ['agents.list', 'agents.status', 'agents.ticks', 'activity.list', 'budgets.overview', 'receipts.list', 'earnings.summary'],
  'approval.requested': ['approvals.list', 'system.status', 'activity.list'],
  'approval.decided': ['approvals.list', 'system.status', 'activity.list', 'wallet.balance', 'wallet.history', 'agents.list', 'agents.status'],
  'balance.changed': ['wallet.balance', 'wallet.history', 'agents.list', 'agents.status'],
  'lifecycle.changed': ['agents.list', 'agents.status'],
  'budget.warning': ['agents.status', 'budgets.overview'],
  'payment.sent': ['wallet.balance', 'wallet.history', 'agents.list', 'agents.status', 'activity.list', 'budgets.overview', 'earnings.summary'],
  'payment.received': ['wallet.balance', 'wallet.history', 'agents.list', 'agents.status', 'activity.list'],
  'agent.spawned': ['agents.list', 'system.status', 'budgets.overview'],
  // Progress arrives several times a second: only the finished download changes the model list.
  'model.download': (d) => (d.totalBytes !== null && d.receivedBytes >= d.totalBytes ? ['models.list', 'models.recommended'] : []),
  'provider.state': ['provider.status'],
  'provider.job': ['provider.status', 'provider.jobs', 'earnings.summary'],
  // The live job panel appends the text itself (useCoreEvent); refetching per token would flood the core.
  'provider.tokens': [],
};

/** Subscribes once to the core's event stream and turns events into invalidations. */
export function useLiveInvalidation(): void {
  const api = useApi();
  const qc = useQueryClient();
  useEffect(() => api.onEvent((m) => {
    const rule = INVALIDATES[m.event] as Invalidation<CoreEventName> | undefined;
    const procs = typeof rule === 'function' ? rule(m.data) : rule ?? [];
    for (const p of procs) void qc.invalidateQueries({ queryKey: [p] });
  }), [api, qc]);
  useEffect(() => api.onConnection((s) => {
    if (s === 'open') void qc.invalidateQueries();
  }), [api, qc]);
}

/**
 * Calls `listener` for each event of one kind while the component is mounted, for data that
 * arrives only as events (streamed job text, download progress). The latest listener is used
 * without resubscribing.
 */
export function useCoreEvent<E extends CoreEventName>(event: E, listener: (data: CoreEvents[E]) => void): void {
  const api = useApi();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => api.onEvent((m) => {
    if (m.event === event) latest.current(m.data as CoreEvents[E]);
  }), [api, event]);
}

export function useConnection(): ConnectionState {
  const api = useApi();
  const [state, setState] = useState<ConnectionState>('connecting');
  useEffect(() => api.onConnection(setState), [api]);
  return state;
}
