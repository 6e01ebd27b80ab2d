import { useState, type FormEvent } from 'react';
import { useProcMutation } from '../../api/hooks';
import { Card, FormError, Sats, Time } from '../../components/ui';
import { invoiceAmountHint, parseWholeSats } from './amounts';

export function PayCard() {
  const pay = useProcMutation('wallet.pay', ['wallet.balance', 'wallet.history', 'agents.list', 'activity.list']);
  const [bolt11, setBolt11] = useState('');
  const [amount, setAmount] = useState('');
  const [invalid, setInvalid] = useState<{ field: 'bolt11' | 'amount'; message: string } | null>(null);
  const invoice = bolt11.trim().replace(/^lightning:/i, '');
  const hint = invoice ? invoiceAmountHint(invoice) : null;
  // An invoice that names its amount must not get a second one: the core rejects a mismatch.
  const amountDisabled = hint !== null && !hint.amountless;

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    if (!invoice) {
      setInvalid({ field: 'bolt11', message: 'Paste a BOLT11 invoice.' });
      return;
    }
    let amountSats: number | undefined;
    if (!amountDisabled && amount.trim() !== '') {
      const n = parseWholeSats(amount);
      if (n === null || n < 1) {
        setInvalid({ field: 'amount', message: 'Enter a whole number of sats, 1 or more.' });
        return;
      }
      amountSats = n;
    }
    if (hint?.amountless && amountSats === undefined) {
      setInvalid({ field: 'amount', message: 'This invoice has no amount: enter how many sats to pay.' });
      return;
    }
    setInvalid(null);
    pay.mutate({ invoice, ...(amountSats !== undefined ? { amountSats } : {}) });
  };

  return (
    <Card title="Pay">
      <form className="form" onSubmit={submit} noValidate>
        <label className="field" htmlFor="wallet-pay-bolt11">
          BOLT11 invoice
          <textarea
            id="wallet-pay-bolt11"
            data-testid="pay-bolt11"
            rows={3}
            spellCheck={false}
            autoComplete="off"
            className="mono"
            value={bolt11}
            onChange={(e) => { setBolt11(e.target.value); if (invalid?.field === 'bolt11') setInvalid(null); }}
            aria-invalid={invalid?.field === 'bolt11' ? true : undefined}
            aria-describedby={invalid?.field === 'bolt11' ? 'wallet-pay-error' : 'wallet-pay-hint'}
          />
          <span id="wallet-pay-hint" className="muted small">
            {hint === null ? 'Paste an invoice (lnbcrt… on devnet).' : hint.amountless ? 'This invoice has no amount: enter one below.' : <>This invoice asks for <Sats value={hint.sats} />.</>}
          </span>
        </label>
        <label className="field" htmlFor="wallet-pay-amount">
          Amount (sats, only for invoices without one)
          <input
            id="wallet-pay-amount"
            data-testid="pay-amount"
            inputMode="numeric"
            autoComplete="off"
            value={amountDisabled ? '' : amount}
            disabled={amountDisabled}
            onChange={(e) => setAmount(e.target.value)}
            aria-invalid={invalid?.field === 'amount' ? true : undefined}
            aria-describedby={invalid?.field === 'amount' ? 'wallet-pay-error' : undefined}
          />
        </label>
        {invalid ? <span id="wallet-pay-error" className="field-error" role="alert">{invalid.message}</span> : null}
        <FormError error={pay.error} />
        <div className="row">
          <button type="submit" className="primary" data-testid="pay-submit" disabled={pay.isPending}>
            {pay.isPending ? 'Paying…' : 'Pay invoice'}
          </button>
        </div>
      </form>
      {pay.data && !pay.isPending ? (
        <div className="wallet-pay-result" data-testid="pay-result" role="status">
          <strong className="ok">Paid <Sats value={pay.data.amountSats} /></strong>
          <dl className="facts">
            <dt>Fee</dt>
            <dd><Sats value={pay.data.feeSats} /></dd>
            <dt>Settled</dt>
            <dd><Time ms={pay.data.settledAt} /></dd>
            <dt>Payment hash</dt>
            <dd className="mono">{pay.data.paymentHash}</dd>
            <dt>Preimage</dt>
            <dd className="mono">{pay.data.preimage}</dd>
          </dl>
        </div>
      ) : null}
    </Card>
  );
}
