import { create } from 'zustand';
import { persist } from 'zustand/middleware';

export type Theme = 'system' | 'light' | 'dark';

/** UI state only (never server data): theme, filters, selections. */
interface UiState {
  theme: Theme;
  setTheme: (t: Theme) => void;
  activityFilter: { agent: string; kind: string };
  setActivityFilter: (f: Partial<UiState['activityFilter']>) => void;
  selectedApprovals: string[];
  toggleApproval: (id: string) => void;
  setSelectedApprovals: (ids: string[]) => void;
  /** The Earnings page's period: the last 7, 30 or 90 local days. */
  earningsDays: EarningsDays;
  setEarningsDays: (d: EarningsDays) => void;
}

export type EarningsDays = 7 | 30 | 90;

export const useUi = create<UiState>()(persist((set) => ({
  theme: 'system',
  setTheme: (theme) => set({ theme }),
  activityFilter: { agent: '', kind: '' },
  setActivityFilter: (f) => set((s) => ({ activityFilter: { ...s.activityFilter, ...f } })),
  selectedApprovals: [],
  toggleApproval: (id) => set((s) => ({ selectedApprovals: s.selectedApprovals.includes(id) ? s.selectedApprovals.filter((x) => x !== id) : [...s.selectedApprovals, id] })),
  setSelectedApprovals: (ids) => set({ selectedApprovals: ids }),
  earningsDays: 30,
  setEarningsDays: (earningsDays) => set({ earningsDays }),
}), { name: 'openagents-ui', partialize: (s) => ({ theme: s.theme }) }));
