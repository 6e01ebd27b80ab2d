import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useApi, useProcMutation } from '../../api/hooks';
import { unwrap } from '../../api/client';
import { Card, ErrorState, Page } from '../../components/ui';

type Step = 'identity' | 'backup' | 'backend';

/** First run: identity (new or imported, with a backup check), network, and a model backend with a connection test. */
export function FirstRunPage() {
  const [step, setStep] = useState<Step>('identity');
  const [mnemonic, setMnemonic] = useState('');
  const qc = useQueryClient();
  const navigate = useNavigate();
  const finish = (): void => {
    void qc.invalidateQueries();
    void navigate('/agents');
  };
  return (
    <Page title="Set up OpenAgents">
      <ol className="steps" aria-label="Setup steps">
        <li aria-current={step === 'identity' ? 'step' : undefined}>Identity</li>
        <li aria-current={step === 'backup' ? 'step' : undefined}>Backup</li>
        <li aria-current={step === 'backend' ? 'step' : undefined}>Model backend</li>
      </ol>
      {step === 'identity' ? <IdentityStep onCreated={(m) => { setMnemonic(m); setStep('backup'); }} onImported={() => setStep('backend')} /> : null}
      {step === 'backup' ? <BackupStep mnemonic={mnemonic} onConfirmed={() => { setMnemonic(''); setStep('backend'); }} /> : null}
      {step === 'backend' ? <BackendStep onDone={finish} /> : null}
    </Page>
  );
}

function IdentityStep({ onCreated, onImported }: { onCreated: (mnemonic: string) => void; onImported: () => void }) {
  // identity.status is refreshed only when setup finishes: the gate would otherwise leave
  // setup before the backup and backend steps.
  const init = useProcMutation('identity.init', ['system.status']);
  const [mode, setMode] = useState<'create' | 'import'>('create');
  const [phrase, setPhrase] = useState('');
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    init.mutate(mode === 'import' ? { network: 'devnet', importMnemonic: phrase } : { network: 'devnet' }, {
      onSuccess: (r) => (mode === 'import' ? onImported() : onCreated(r.mnemonic)),
    });
  };
  return (
    <Card title="Your operator identity">
      <form onSubmit={submit} className="form">
        <fieldset>
          <legend>Network</legend>
          <label><input type="radio" name="network" defaultChecked readOnly /> Devnet — offline, devnet sats are not real money (recommended to start)</label>
          <label className="muted"><input type="radio" name="network" disabled /> Regtest / Mainnet — need the Spark wallet, not in this build</label>
        </fieldset>
        <fieldset>
          <legend>Identity</legend>
          <label><input type="radio" name="mode" checked={mode === 'create'} onChange={() => setMode('create')} /> Create a new identity</label>
          <label><input type="radio" name="mode" checked={mode === 'import'} onChange={() => setMode('import')} /> Restore from a recovery phrase</label>
        </fieldset>
        {mode === 'import' ? (
          <label className="field">Recovery phrase (12 or 24 words)
            <textarea value={phrase} onChange={(e) => setPhrase(e.target.value)} rows={3} autoComplete="off" spellCheck={false} required />
          </label>
        ) : null}
        {init.error ? <ErrorState error={init.error} /> : null}
        <button type="submit" className="primary" disabled={init.isPending}>{mode === 'import' ? 'Restore identity' : 'Create identity'}</button>
      </form>
    </Card>
  );
}

/** Asks for two words of the phrase back before going on. */
function BackupStep({ mnemonic, onConfirmed }: { mnemonic: string; onConfirmed: () => void }) {
  const words = mnemonic.split(' ');
  const [a, b] = [2, 8];
  const [first, setFirst] = useState('');
  const [second, setSecond] = useState('');
  const [wrong, setWrong] = useState(false);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (first.trim().toLowerCase() === words[a] && second.trim().toLowerCase() === words[b]) onConfirmed();
    else setWrong(true);
  };
  return (
    <Card title="Write down your recovery phrase">
      <p>These 12 words restore your identity, every agent and every wallet. Keep them offline; anyone who has them controls your agents. They are shown only now (Settings can show them again).</p>
      <ol className="mnemonic" data-testid="mnemonic">
        {words.map((w, i) => <li key={i}>{w}</li>)}
      </ol>
      <form onSubmit={submit} className="form">
        <label className="field">Word #{a + 1}<input value={first} onChange={(e) => setFirst(e.target.value)} autoComplete="off" required /></label>
        <label className="field">Word #{b + 1}<input value={second} onChange={(e) => setSecond(e.target.value)} autoComplete="off" required /></label>
        {wrong ? <p className="error" role="alert">Those words do not match. Check what you wrote down.</p> : null}
        <button type="submit" className="primary">I have written it down</button>
      </form>
    </Card>
  );
}

function BackendStep({ onDone }: { onDone: () => void }) {
  const api = useApi();
  const add = useProcMutation('backends.add', ['backends.list']);
  const [form, setForm] = useState({ name: 'local', url: 'http://127.0.0.1:11434/v1', model: '', apiKey: '' });
  const [test, setTest] = useState<{ ok: boolean; text: string } | null>(null);
  const [testing, setTesting] = useState(false);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setTest(null);
    add.mutate({ name: form.name, url: form.url, model: form.model, ...(form.apiKey ? { apiKey: form.apiKey } : {}) }, {
      onSuccess: () => {
        setTesting(true);
        unwrap(api.call('backends.test', { name: form.name }))
          .then((r) => setTest({ ok: true, text: `Connected: ${r.model} answered in ${r.latencyMs} ms.` }))
          .catch((err: Error) => setTest({ ok: false, text: `Saved, but the connection test failed: ${err.message}` }))
          .finally(() => setTesting(false));
      },
    });
  };
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  return (
    <Card title="Where your agents think">
      <p>Any OpenAI-compatible server works: Ollama, LM Studio, vLLM, OpenAI…</p>
      <form onSubmit={submit} className="form">
        <label className="field">Name<input value={form.name} onChange={set('name')} required pattern="[A-Za-z0-9_.\-]+" /></label>
        <label className="field">Base URL<input value={form.url} onChange={set('url')} required type="url" /></label>
        <label className="field">Model<input value={form.model} onChange={set('model')} required placeholder="e.g. llama3.2" /></label>
        <label className="field">API key (optional, stored encrypted)<input value={form.apiKey} onChange={set('apiKey')} type="password" autoComplete="off" /></label>
        {add.error ? <ErrorState error={add.error} /> : null}
        {testing ? <p role="status">Testing the connection…</p> : null}
        {test ? <p role="status" className={test.ok ? 'ok' : 'error'}>{test.text}</p> : null}
        <div className="row">
          {!add.isSuccess ? <button type="submit" className="primary" disabled={add.isPending}>Add and test</button> : null}
          <button type="button" onClick={onDone}>{add.isSuccess ? 'Continue' : 'Skip for now'}</button>
        </div>
      </form>
    </Card>
  );
}
