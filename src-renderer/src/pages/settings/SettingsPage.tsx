import { useState, type FormEvent } from 'react';
import type { AutonomyLevel, SettingsView } from '../../../../src-main/core/api/contract';
import { useProc, useProcMutation } from '../../api/hooks';
import { Card, ErrorState, FormError, Loading, Page } from '../../components/ui';
import { useUi, type Theme } from '../../state/ui';
import { AutopilotSection } from './AutopilotSection';
import { BackendsSection } from './BackendsSection';
import { RecoverySection } from './RecoverySection';
import { RelaysSection } from './RelaysSection';
import { parseWhole } from './validate';
import './settings.css';

const AUTONOMY: { value: AutonomyLevel; label: string; hint: string }[] = [
  { value: 'supervised', label: 'Supervised', hint: 'every payment waits for approval' },
  { value: 'semi_autonomous', label: 'Semi-autonomous', hint: 'payments above the threshold wait for approval' },
  { value: 'fully_autonomous', label: 'Fully autonomous', hint: 'only the budget limits apply' },
];

const THEMES: { value: Theme; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function SettingsPage() {
  const settings = useProc('settings.get', {});
  return (
    <Page title="Settings">
      <div className="settings-grid">
        <Card title="Defaults for new agents and the app">
          {settings.isPending ? <Loading what="the settings" /> : null}
          {settings.isError ? <ErrorState error={settings.error} retry={() => void settings.refetch()} /> : null}
          {settings.data ? <GeneralForm initial={settings.data} /> : null}
        </Card>
        <div>
          <AppearanceCard />
          <Card title="This home">
            {settings.isPending ? <Loading what="the home" /> : null}
            {settings.isError ? <ErrorState error={settings.error} /> : null}
            {settings.data ? (
              <dl className="facts settings-readonly" data-testid="settings-home">
                <dt>Network</dt>
                <dd data-testid="settings-network">{settings.data.network ?? <span className="muted">not set up yet</span>}</dd>
                <dt>Data directory</dt>
                <dd className="mono" data-testid="settings-home-dir">{settings.data.home}</dd>
              </dl>
            ) : null}
          </Card>
        </div>
      </div>
      <AutopilotSection />
      <BackendsSection />
      <RelaysSection />
      <RecoverySection />
    </Page>
  );
}

function AppearanceCard() {
  const theme = useUi((s) => s.theme);
  const setTheme = useUi((s) => s.setTheme);
  return (
    <Card title="Appearance">
      <fieldset className="settings-theme">
        <legend className="muted small">Theme</legend>
        {THEMES.map((t) => (
          <label key={t.value}>
            <input type="radio" name="settings-theme" value={t.value} checked={theme === t.value} onChange={() => setTheme(t.value)} data-testid={`theme-${t.value}`} />
            {t.label}
          </label>
        ))}
      </fieldset>
    </Card>
  );
}

type NumberField = 'defaultApprovalThresholdSats' | 'defaultDailyLimitSats';

function GeneralForm({ initial }: { initial: SettingsView }) {
  const save = useProcMutation('settings.set', ['settings.get']);
  const [autonomy, setAutonomy] = useState<AutonomyLevel>(initial.defaultAutonomy);
  const [numbers, setNumbers] = useState<Record<NumberField, string>>({
    defaultApprovalThresholdSats: String(initial.defaultApprovalThresholdSats),
    defaultDailyLimitSats: String(initial.defaultDailyLimitSats),
  });
  const [flags, setFlags] = useState({ notifications: initial.notifications, startAtLogin: initial.startAtLogin, closeToTray: initial.closeToTray });
  const [errors, setErrors] = useState<Partial<Record<NumberField, string>>>({});
  const [saved, setSaved] = useState(false);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const threshold = parseWhole(numbers.defaultApprovalThresholdSats);
    const daily = parseWhole(numbers.defaultDailyLimitSats);
    const found: Partial<Record<NumberField, string>> = {};
    if (threshold === null) found.defaultApprovalThresholdSats = 'Enter a whole number of sats, 0 or more.';
    if (daily === null) found.defaultDailyLimitSats = 'Enter a whole number of sats, 0 or more.';
    setErrors(found);
    setSaved(false);
    if (threshold === null || daily === null) return;
    save.mutate(
      { defaultAutonomy: autonomy, defaultApprovalThresholdSats: threshold, defaultDailyLimitSats: daily, ...flags },
      { onSuccess: () => setSaved(true) },
    );
  };

  const numberInput = (key: NumberField, label: string, hint: string) => {
    const err = errors[key];
    return (
      <label className="field" htmlFor={`settings-${key}`}>
        {label}
        <input
          id={`settings-${key}`}
          data-testid={`settings-${key}`}
          inputMode="numeric"
          autoComplete="off"
          value={numbers[key]}
          onChange={(e) => { setNumbers({ ...numbers, [key]: e.target.value }); setSaved(false); }}
          aria-invalid={err ? true : undefined}
          aria-describedby={`settings-${key}-hint`}
        />
        <span id={`settings-${key}-hint`} className={err ? 'field-error' : 'muted small'}>{err ?? hint}</span>
      </label>
    );
  };

  const flag = (key: keyof typeof flags, label: string, hint: string) => (
    <label className="checkbox-field" htmlFor={`settings-${key}`}>
      <input
        id={`settings-${key}`}
        type="checkbox"
        data-testid={`settings-${key}`}
        checked={flags[key]}
        onChange={(e) => { setFlags({ ...flags, [key]: e.target.checked }); setSaved(false); }}
      />
      <span>{label}<br /><span className="muted small">{hint}</span></span>
    </label>
  );

  return (
    <form className="form" onSubmit={submit} noValidate>
      <label className="field" htmlFor="settings-defaultAutonomy">
        Default autonomy
        <select
          id="settings-defaultAutonomy"
          data-testid="settings-defaultAutonomy"
          value={autonomy}
          onChange={(e) => { setAutonomy(e.target.value as AutonomyLevel); setSaved(false); }}
          aria-describedby="settings-defaultAutonomy-hint"
        >
          {AUTONOMY.map((a) => <option key={a.value} value={a.value}>{a.label}</option>)}
        </select>
        <span id="settings-defaultAutonomy-hint" className="muted small">{AUTONOMY.find((a) => a.value === autonomy)?.hint}</span>
      </label>
      {numberInput('defaultApprovalThresholdSats', 'Default approval threshold (sats)', 'Semi-autonomous agents ask before paying more than this.')}
      {numberInput('defaultDailyLimitSats', 'Default daily limit (sats)', 'What a new agent may spend per day.')}
      <fieldset>
        <legend>App</legend>
        {flag('notifications', 'Notifications', 'Tell me about approvals, budget warnings and failures.')}
        {flag('startAtLogin', 'Start at login', 'Open OpenAgents when I sign in to this computer.')}
        {flag('closeToTray', 'Close to tray', 'Closing the window keeps agents running in the background.')}
      </fieldset>
      <FormError error={save.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={save.isPending} data-testid="settings-save">{save.isPending ? 'Saving…' : 'Save settings'}</button>
        <span role="status" aria-live="polite" className="ok small">{saved ? 'Saved.' : ''}</span>
      </div>
    </form>
  );
}
