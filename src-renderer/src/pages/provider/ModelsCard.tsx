import { useState, type FormEvent } from 'react';
import type { CoreEvents, ModelView, RecommendedModelView } from '../../../../src-main/core/api/contract';
import { unwrap } from '../../api/client';
import { useApi, useCoreEvent, useProc, useProcMutation } from '../../api/hooks';
import { InputField } from '../../components/Field';
import { Badge, Card, Empty, ErrorState, FormError, Loading, Time } from '../../components/ui';
import { formatBytes } from './format';

type Progress = CoreEvents['model.download'];
type Downloads = Record<string, Progress>;

const MODEL_NAME = /^[A-Za-z0-9_.-]{1,80}$/;
const SHA256 = /^[0-9a-fA-F]{64}$/;
const AFTER_MODELS = ['models.list', 'models.recommended'] as const;

/** Installed models to choose from, import from disk, download by URL, and what fits this machine. */
export function ModelsCard({ current }: { current: string | null }) {
  // Progress of every download this page started, keyed by URL ('model.download' events).
  const [downloads, setDownloads] = useState<Downloads>({});
  useCoreEvent('model.download', (p) => setDownloads((d) => ({ ...d, [p.url]: p })));
  return (
    <Card title="Model">
      <p className="muted small">Jobs run on one local GGUF model. {current ? <>Now: <strong data-testid="provider-current-model">{current}</strong>.</> : 'None is chosen yet: going online needs one.'}</p>
      <InstalledModels current={current} />
      <div className="provider-model-forms">
        <ImportForm />
        <DownloadForm downloads={downloads} />
      </div>
      <ModelFolder />
      <Recommendations downloads={downloads} />
    </Card>
  );
}

/** The desktop's native picker (Electron); in a browser the path is typed. */
function useFilePicker(): ((purpose: 'model' | 'folder') => Promise<string | null>) | null {
  const api = useApi();
  if (api.transport !== 'ipc') return null;
  return (purpose) => unwrap(api.call('system.pickFile', { purpose })).then((r) => r.path);
}

/** Where downloads go, with the free space there; another folder can be chosen. */
function ModelFolder() {
  const folder = useProc('models.folder', {});
  const change = useProcMutation('models.folder', ['models.folder']);
  const pick = useFilePicker();
  const [path, setPath] = useState('');
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (path.trim()) change.mutate({ path: path.trim() }, { onSuccess: () => setPath('') });
  };
  return (
    <form className="form" onSubmit={submit} noValidate aria-labelledby="provider-folder-title">
      <h3 id="provider-folder-title" className="provider-subtitle">Download folder</h3>
      {folder.data ? (
        <p className="small" data-testid="provider-models-folder">
          <span className="mono">{folder.data.folder}</span>{folder.data.isDefault ? ' (default)' : ''}
          {folder.data.freeBytes !== null ? <span className="muted"> — {formatBytes(folder.data.freeBytes)} free</span> : null}
        </p>
      ) : null}
      <InputField
        id="provider-folder-path" data-testid="provider-folder-path" label="Another folder" hint="Created if missing. Models already downloaded stay where they are."
        autoComplete="off" spellCheck={false} placeholder="/data/models" value={path} onChange={setPath}
      />
      <FormError error={change.error} />
      <div className="row">
        <button type="submit" disabled={change.isPending || !path.trim()} data-testid="provider-folder-submit">Use this folder</button>
        {pick ? <button type="button" onClick={() => void pick('folder').then((p) => p && change.mutate({ path: p }))}>Browse…</button> : null}
        {folder.data && !folder.data.isDefault ? <button type="button" onClick={() => change.mutate({ path: null })}>Use the default</button> : null}
      </div>
    </form>
  );
}

function InstalledModels({ current }: { current: string | null }) {
  const models = useProc('models.list', {});
  if (models.isPending) return <Loading what="the models" />;
  if (models.isError) return <ErrorState error={models.error} retry={() => void models.refetch()} />;
  if (models.data.length === 0) return <Empty>No models yet: import a GGUF file or download one below.</Empty>;
  return (
    <div className="provider-table-wrap">
      <table data-testid="provider-models">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Architecture</th>
            <th scope="col" className="num">Size</th>
            <th scope="col">Source</th>
            <th scope="col">Added</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {models.data.map((m) => <ModelRow key={m.name} model={m} chosen={m.name === current} />)}
        </tbody>
      </table>
    </div>
  );
}

function ModelRow({ model: m, chosen }: { model: ModelView; chosen: boolean }) {
  const choose = useProcMutation('provider.set', ['provider.status']);
  const remove = useProcMutation('models.remove', [...AFTER_MODELS]);
  const [confirming, setConfirming] = useState(false);
  return (
    <tr data-testid="provider-model-row">
      <td>
        <strong>{m.name}</strong>
        {chosen ? <> <Badge tone="ok">in use</Badge></> : null}
        <div className="muted small mono" title={m.path}>{m.path}</div>
      </td>
      <td>{m.architecture}</td>
      <td className="num">{formatBytes(m.sizeBytes)}</td>
      <td title={m.source}>{m.owned ? 'downloaded' : 'imported'}</td>
      <td className="small"><Time ms={m.addedAt} /></td>
      <td>
        <div className="actions">
          {chosen ? null : (
            <button type="button" className="primary" onClick={() => choose.mutate({ model: m.name })} disabled={choose.isPending} data-testid="provider-model-use">
              {choose.isPending ? 'Choosing…' : 'Use for jobs'}
            </button>
          )}
          {confirming ? (
            <span className="confirm" role="group" aria-label={`Confirm removing ${m.name}`}>
              <span className="small">Remove {m.name}?{m.owned ? ' The file is deleted.' : ' The file stays where it is.'}</span>
              <button type="button" className="danger" onClick={() => remove.mutate({ name: m.name })} disabled={remove.isPending}>
                {remove.isPending ? 'Removing…' : 'Yes, remove'}
              </button>
              <button type="button" onClick={() => { setConfirming(false); remove.reset(); }}>Cancel</button>
            </span>
          ) : (
            <button type="button" className="danger" onClick={() => setConfirming(true)}>Remove</button>
          )}
        </div>
        <FormError error={choose.error} />
        <FormError error={remove.error} />
      </td>
    </tr>
  );
}

function ImportForm() {
  const importModel = useProcMutation('models.import', [...AFTER_MODELS]);
  const pick = useFilePicker();
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<{ path?: string; name?: string }>({});
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const found: typeof errors = {};
    if (!path.trim()) found.path = 'Enter the full path of a .gguf file on this machine.';
    if (name.trim() && !MODEL_NAME.test(name.trim())) found.name = 'Up to 80 letters, digits, _ . or -.';
    setErrors(found);
    if (found.path || found.name) return;
    importModel.mutate({ path: path.trim(), ...(name.trim() ? { name: name.trim() } : {}) }, { onSuccess: () => { setPath(''); setName(''); } });
  };
  return (
    <form className="form" onSubmit={submit} noValidate aria-labelledby="provider-import-title">
      <h3 id="provider-import-title" className="provider-subtitle">Import by path</h3>
      <InputField
        id="provider-import-path" data-testid="provider-import-path" label="File path" hint="The file is checked and used where it is, not copied." error={errors.path}
        autoComplete="off" spellCheck={false} placeholder="/home/me/models/model.gguf" value={path} onChange={setPath}
      />
      <InputField
        id="provider-import-name" data-testid="provider-import-name" label="Name (optional)" hint="Default: the file name." error={errors.name}
        autoComplete="off" spellCheck={false} value={name} onChange={setName}
      />
      <FormError error={importModel.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={importModel.isPending} data-testid="provider-import-submit">{importModel.isPending ? 'Importing…' : 'Import model'}</button>
        {pick ? <button type="button" onClick={() => void pick('model').then((p) => p && setPath(p))}>Browse…</button> : null}
        <span role="status" aria-live="polite" className="ok small">{importModel.data && !importModel.isPending ? `Imported ${importModel.data.name}.` : ''}</span>
      </div>
    </form>
  );
}

function DownloadForm({ downloads }: { downloads: Downloads }) {
  const pull = useProcMutation('models.pull', [...AFTER_MODELS]);
  const [url, setUrl] = useState('');
  const [sha256, setSha256] = useState('');
  const [name, setName] = useState('');
  const [started, setStarted] = useState<string | null>(null);
  const [errors, setErrors] = useState<{ url?: string; sha256?: string; name?: string }>({});
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const found: typeof errors = {};
    const u = url.trim();
    if (!/^https?:\/\/\S+$/.test(u)) found.url = 'Enter an http:// or https:// URL of a .gguf file.';
    if (sha256.trim() && !SHA256.test(sha256.trim())) found.sha256 = '64 hex characters, or leave it empty.';
    if (name.trim() && !MODEL_NAME.test(name.trim())) found.name = 'Up to 80 letters, digits, _ . or -.';
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setStarted(u);
    pull.mutate({ url: u, ...(sha256.trim() ? { sha256: sha256.trim() } : {}), ...(name.trim() ? { name: name.trim() } : {}) });
  };
  return (
    <form className="form" onSubmit={submit} noValidate aria-labelledby="provider-download-title">
      <h3 id="provider-download-title" className="provider-subtitle">Download by URL</h3>
      <InputField
        id="provider-download-url" data-testid="provider-download-url" label="URL" error={errors.url}
        type="url" autoComplete="off" spellCheck={false} placeholder="https://huggingface.co/…/model.gguf" value={url} onChange={setUrl}
      />
      <InputField
        id="provider-download-sha" label="SHA-256 (optional)" hint="The file is refused unless it matches." error={errors.sha256}
        className="mono" autoComplete="off" spellCheck={false} value={sha256} onChange={setSha256}
      />
      <InputField
        id="provider-download-name" label="Name (optional)" error={errors.name}
        autoComplete="off" spellCheck={false} value={name} onChange={setName}
      />
      <FormError error={pull.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={pull.isPending} data-testid="provider-download-submit">{pull.isPending ? 'Downloading…' : 'Download model'}</button>
        <span role="status" aria-live="polite" className="ok small">{pull.data && !pull.isPending ? `Downloaded ${pull.data.name}.` : ''}</span>
      </div>
      {pull.isPending && started ? <DownloadProgress progress={downloads[started]} label={`Downloading ${started}`} /> : null}
    </form>
  );
}

/** A bar while the size is known, bytes so far otherwise. */
function DownloadProgress({ progress, label }: { progress: Progress | undefined; label: string }) {
  const total = progress?.totalBytes ?? null;
  const received = progress?.receivedBytes ?? 0;
  const pct = total ? Math.min(100, Math.floor((received / total) * 100)) : null;
  return (
    <div className="provider-progress" data-testid="provider-download-progress">
      <div
        className="provider-bar"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct ?? undefined}
        aria-valuetext={pct === null ? `${formatBytes(received)} so far` : `${pct}%`}
      >
        <div className={`provider-bar-fill${pct === null ? ' provider-bar-unknown' : ''}`} style={{ width: `${pct ?? 100}%` }} />
      </div>
      <span className="muted small">
        {!progress ? 'Connecting…' : total ? `${formatBytes(received)} of ${formatBytes(total)} (${pct}%)` : `${formatBytes(received)} so far`}
        {progress?.resumed ? ' · resumed' : ''}
      </span>
    </div>
  );
}

function Recommendations({ downloads }: { downloads: Downloads }) {
  const recs = useProc('models.recommended', {});
  return (
    <div className="provider-recommended">
      <h3 className="provider-subtitle">Recommended for this machine</h3>
      {recs.isPending ? <Loading what="the recommendations" /> : null}
      {recs.isError ? <ErrorState error={recs.error} retry={() => void recs.refetch()} /> : null}
      {recs.data ? (
        <>
          <p className="muted small" data-testid="provider-hardware-note">{recs.data.hardware.note}</p>
          {recs.data.models.length === 0 ? <Empty>No recommendations.</Empty> : (
            <ul className="provider-rec-list" data-testid="provider-recommended">
              {recs.data.models.map((m) => <Recommendation key={m.url} model={m} progress={downloads[m.url]} />)}
            </ul>
          )}
        </>
      ) : null}
    </div>
  );
}

function Recommendation({ model: m, progress }: { model: RecommendedModelView; progress: Progress | undefined }) {
  const pull = useProcMutation('models.pull', [...AFTER_MODELS]);
  return (
    <li className="provider-rec" data-testid="provider-rec">
      <div>
        <strong>{m.name}</strong> <span className="muted small">{formatBytes(m.sizeBytes)} · needs about {formatBytes(m.needsRamBytes)} of memory</span>
        <div className="small">{m.description}</div>
        <div className="small">
          <Badge tone={m.fits ? 'ok' : 'warn'}>{m.fits ? 'fits' : 'too big'}</Badge> <span className="muted">{m.why}</span>
        </div>
        {pull.isPending ? <DownloadProgress progress={progress} label={`Downloading ${m.name}`} /> : null}
        <FormError error={pull.error} />
      </div>
      <div>
        {m.installed || pull.isSuccess ? <Badge tone="ok">installed</Badge> : (
          <button type="button" onClick={() => pull.mutate({ url: m.url })} disabled={pull.isPending} data-testid="provider-rec-download">
            {pull.isPending ? 'Downloading…' : 'Download'}
          </button>
        )}
      </div>
    </li>
  );
}
