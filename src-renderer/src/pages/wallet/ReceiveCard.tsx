import { useEffect, useState, type FormEvent } from 'react';
import { toDataURL } from 'qrcode';
import type { InvoiceView } from '../../../../src-main/core/api/contract';
import { useProcMutation } from '../../api/hooks';
import { CopyButton, useCopy } from '../../components/copy';
import { Card, FormError, Sats, Time } from '../../components/ui';
import { parseWholeSats } from './amounts';

const MEMO_MAX = 639;

export function ReceiveCard() {
  const invoice = useProcMutation('wallet.invoice', ['wallet.history']);
  const [amount, setAmount] = useState('');
  const [memo, setMemo] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    let amountSats: number | undefined;
    if (amount.trim() !== '') {
      const n = parseWholeSats(amount);
      if (n === null || n < 1) {
        setInvalid('Enter a whole number of sats, 1 or more, or leave it empty for an amountless invoice.');
        return;
      }
      amountSats = n;
    }
    setInvalid(null);
    invoice.mutate({ memo: memo.trim(), ...(amountSats !== undefined ? { amountSats } : {}) });
  };
  return (
    <Card title="Receive">
      <form className="form" onSubmit={submit} noValidate>
        <label className="field" htmlFor="wallet-invoice-amount">
          Amount (sats, optional)
          <input
            id="wallet-invoice-amount"
            data-testid="invoice-amount"
            inputMode="numeric"
            autoComplete="off"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            aria-invalid={invalid ? true : undefined}
            aria-describedby={invalid ? 'wallet-invoice-error' : 'wallet-invoice-amount-hint'}
          />
          <span id="wallet-invoice-amount-hint" className="muted small">Leave empty to let the payer choose the amount.</span>
        </label>
        {invalid ? <span id="wallet-invoice-error" className="field-error" role="alert">{invalid}</span> : null}
        <label className="field" htmlFor="wallet-invoice-memo">
          Memo
          <input
            id="wallet-invoice-memo"
            data-testid="invoice-memo"
            autoComplete="off"
            maxLength={MEMO_MAX}
            value={memo}
            onChange={(e) => setMemo(e.target.value)}
          />
        </label>
        <FormError error={invoice.error} />
        <div className="row">
          <button type="submit" className="primary" data-testid="invoice-submit" disabled={invoice.isPending}>
            {invoice.isPending ? 'Creating…' : 'Create invoice'}
          </button>
        </div>
      </form>
      {invoice.data ? <InvoiceDisplay invoice={invoice.data} /> : null}
    </Card>
  );
}

/** The QR is rendered in the renderer itself so the invoice never leaves the machine for a QR service. */
function useQrDataUrl(text: string): { url: string | null; error: string | null } {
  const [qr, setQr] = useState<{ text: string; url: string | null; error: string | null } | null>(null);
  useEffect(() => {
    let cancelled = false;
    // Upper case lets the QR use its compact alphanumeric mode; BOLT11 (bech32) is case-insensitive.
    toDataURL(text.toUpperCase(), { errorCorrectionLevel: 'M', margin: 2, width: 400 })
      .then((url) => { if (!cancelled) setQr({ text, url, error: null }); })
      .catch((err: unknown) => { if (!cancelled) setQr({ text, url: null, error: err instanceof Error ? err.message : String(err) }); });
    return () => { cancelled = true; };
  }, [text]);
  return qr?.text === text ? qr : { url: null, error: null };
}

function InvoiceDisplay({ invoice }: { invoice: InvoiceView }) {
  const qr = useQrDataUrl(invoice.bolt11);
  const copy = useCopy(invoice.bolt11);

  return (
    <div className="wallet-invoice" data-testid="invoice-result">
      <div>
        {qr.url ? <img className="wallet-qr" src={qr.url} alt="QR code of the invoice" width={200} height={200} data-testid="invoice-qr" /> : null}
        {!qr.url && !qr.error ? <p className="muted small" role="status">Drawing the QR code…</p> : null}
        {qr.error ? <p className="error small" role="alert">Could not draw the QR code: {qr.error}</p> : null}
      </div>
      <div>
        <code ref={copy.ref} className="wallet-bolt11 mono" data-testid="invoice-bolt11">{invoice.bolt11}</code>
        <div className="row" style={{ marginTop: '0.5rem' }}>
          <CopyButton copy={copy} label="invoice" testId="invoice-copy" />
        </div>
        <dl className="facts">
          <dt>Amount</dt>
          <dd>{invoice.amountSats === null ? <span className="muted">any (payer chooses)</span> : <Sats value={invoice.amountSats} />}</dd>
          {invoice.memo ? <><dt>Memo</dt><dd>{invoice.memo}</dd></> : null}
          <dt>Expires</dt>
          <dd><Time ms={invoice.expiresAt} /></dd>
          <dt>Payment hash</dt>
          <dd className="mono">{invoice.paymentHash}</dd>
        </dl>
      </div>
    </div>
  );
}
