import { useState, type FormEvent } from 'react';
import type { ProviderSettingsView } from '../../../../src-main/core/api/contract';
import { useProcMutation } from '../../api/hooks';
import { InputField, TextAreaField } from '../../components/Field';
import { Card, FormError, Sats } from '../../components/ui';
import { fullJobPrice } from './format';
import {
  AUTO_FIELDS, FLAG_FIELDS, NUMBER_FIELDS, formFromSettings, validateSettings,
  type AutoField, type FlagField, type NumberField, type SettingsErrors, type SettingsForm,
} from './validate';

/** Price, capacity, when to sell, engine caps and who may buy; saved together with provider.set. */
export function SettingsCard({ settings }: { settings: ProviderSettingsView }) {
  return (
    <Card title="Price and limits">
      <SettingsFormView initial={settings} />
    </Card>
  );
}

function SettingsFormView({ initial }: { initial: ProviderSettingsView }) {
  const save = useProcMutation('provider.set', ['provider.status']);
  const [form, setForm] = useState<SettingsForm>(() => formFromSettings(initial));
  const [errors, setErrors] = useState<SettingsErrors>({});
  const [saved, setSaved] = useState(false);
  const edit = (next: Partial<SettingsForm>): void => {
    setForm((f) => ({ ...f, ...next }));
    setSaved(false);
  };

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const { errors: found, patch } = validateSettings(form);
    setErrors(found);
    setSaved(false);
    if (!patch) {
      // Take keyboard and screen-reader users to the first field that needs fixing.
      const first = Object.keys(found)[0];
      if (first) document.getElementById(`provider-setting-${first}`)?.focus();
      return;
    }
    save.mutate(patch, { onSuccess: () => setSaved(true) });
  };

  const numberInput = (key: NumberField) => (
    <SettingInput key={key} name={key} label={NUMBER_FIELDS[key].label} hint={NUMBER_FIELDS[key].hint} error={errors[key]} numeric value={form.numbers[key]} onChange={(v) => edit({ numbers: { ...form.numbers, [key]: v } })} />
  );
  const autoInput = (key: AutoField) => (
    <SettingInput key={key} name={key} label={AUTO_FIELDS[key].label} hint={AUTO_FIELDS[key].hint} error={errors[key]} numeric placeholder="auto" value={form.auto[key]} onChange={(v) => edit({ auto: { ...form.auto, [key]: v } })} />
  );
  const flag = (key: FlagField) => (
    <label key={key} className="checkbox-field" htmlFor={`provider-setting-${key}`}>
      <input
        id={`provider-setting-${key}`}
        type="checkbox"
        data-testid={`provider-setting-${key}`}
        checked={form.flags[key]}
        onChange={(e) => edit({ flags: { ...form.flags, [key]: e.target.checked } })}
      />
      <span>{FLAG_FIELDS[key].label}<br /><span className="muted small">{FLAG_FIELDS[key].hint}</span></span>
    </label>
  );

  const price = (() => {
    const n = (k: NumberField) => (/^\d+$/.test(form.numbers[k].trim()) ? Number(form.numbers[k]) : null);
    const [min, per1k, max] = [n('minPriceSats'), n('pricePer1kSats'), n('maxTokens')];
    return min === null || per1k === null || max === null ? null : fullJobPrice(min, per1k, max);
  })();

  return (
    <form className="provider-settings" onSubmit={submit} noValidate aria-label="Provider price and limits">
      <fieldset>
        <legend>Price</legend>
        <div className="provider-fields">
          {numberInput('minPriceSats')}
          {numberInput('pricePer1kSats')}
          {numberInput('maxTokens')}
        </div>
        <p className="muted small" aria-live="polite">{price === null ? '' : <>A job of the most tokens costs <Sats value={price} />.</>}</p>
      </fieldset>
      <fieldset>
        <legend>Capacity</legend>
        <div className="provider-fields">
          {numberInput('maxConcurrent')}
          {numberInput('maxInFlightPerRequester')}
          {numberInput('maxJobsPerRequesterPerHour')}
          {numberInput('paymentTimeoutSeconds')}
        </div>
      </fieldset>
      <fieldset>
        <legend>When to sell</legend>
        <div className="provider-hours" role="group" aria-label="Hours">
          <label htmlFor="provider-setting-anyTime">
            <input id="provider-setting-anyTime" type="radio" name="provider-hours" checked={form.anyTime} onChange={() => edit({ anyTime: true })} data-testid="provider-setting-anyTime" />
            Any time
          </label>
          <label htmlFor="provider-setting-window">
            <input id="provider-setting-window" type="radio" name="provider-hours" checked={!form.anyTime} onChange={() => edit({ anyTime: false })} data-testid="provider-setting-window" />
            Only between
          </label>
          <SettingInput name="hoursStart" label="From" error={errors.hoursStart} value={form.hoursStart} onChange={(v) => edit({ hoursStart: v })} disabled={form.anyTime} size={5} />
          <SettingInput name="hoursEnd" label="to" error={errors.hoursEnd} value={form.hoursEnd} onChange={(v) => edit({ hoursEnd: v })} disabled={form.anyTime} size={5} />
        </div>
        <p className="muted small">Local time, HH:MM; a window like 22:00–07:00 crosses midnight.</p>
        {flag('onlyWhenIdle')}
        <div className="provider-fields provider-fields-indent">
          {numberInput('idleMinutes')}
          {numberInput('maxOtherCpuPercent')}
        </div>
        {flag('pauseOnBattery')}
        {flag('agentsFirst')}
        {flag('resumeAtStart')}
      </fieldset>
      <fieldset>
        <legend>Engine</legend>
        <div className="provider-fields">
          {autoInput('threads')}
          {autoInput('gpuLayers')}
        </div>
      </fieldset>
      <fieldset>
        <legend>Requesters</legend>
        <div className="provider-fields">
          <KeyListField name="allow" label="Only serve these" hint="One npub or hex key per line. Empty: anyone not denied." error={errors.allow} value={form.allow} onChange={(v) => edit({ allow: v })} />
          <KeyListField name="deny" label="Never serve these" hint="One npub or hex key per line." error={errors.deny} value={form.deny} onChange={(v) => edit({ deny: v })} />
        </div>
      </fieldset>
      {Object.keys(errors).length > 0 ? <p className="error small" role="alert">Some fields need fixing: see the messages under them.</p> : null}
      <FormError error={save.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={save.isPending} data-testid="provider-settings-save">{save.isPending ? 'Saving…' : 'Save price and limits'}</button>
        <button type="button" onClick={() => { setForm(formFromSettings(initial)); setErrors({}); setSaved(false); save.reset(); }}>Reset</button>
        <span role="status" aria-live="polite" className="ok small">{saved ? 'Saved.' : ''}</span>
      </div>
    </form>
  );
}

/** A text setting; its id and test id are provider-setting-<name>, which the form's error focus relies on. */
function SettingInput({ name, numeric, ...field }: {
  name: string; label: string; hint?: string; error: string | undefined; value: string; onChange: (v: string) => void;
  numeric?: boolean; placeholder?: string; disabled?: boolean; size?: number;
}) {
  const id = `provider-setting-${name}`;
  return <InputField {...field} id={id} data-testid={id} inputMode={numeric ? 'numeric' : undefined} autoComplete="off" />;
}

/** One npub or hex key per line. */
function KeyListField({ name, ...field }: { name: 'allow' | 'deny'; label: string; hint: string; error: string | undefined; value: string; onChange: (v: string) => void }) {
  const id = `provider-setting-${name}`;
  return <TextAreaField {...field} id={id} data-testid={id} className="mono" rows={4} spellCheck={false} autoComplete="off" placeholder="npub1…" />;
}
