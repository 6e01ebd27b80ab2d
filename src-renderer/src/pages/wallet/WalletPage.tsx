import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useProc, useProcMutation } from '../../api/hooks';
import { Badge, Card, Empty, ErrorState, FormError, Loading, Page, Sats, Time, lifecycleTone } from '../../components/ui';
import { parseWholeSats } from './amounts';
import { PayCard } from './PayCard';
import { ReceiveCard } from './ReceiveCard';
import './wallet.css';

const FAUCET_MAX = 10_000_000;

/** The operator's wallet: balance, receive, pay, history, the agents' wallets and (on devnet) the faucet. */
export function WalletPage() {
  const status = useProc('system.status', {});
  return (
    <Page title="Wallet">
      <div className="grid">
        <BalanceCard />
        {status.data?.network === 'devnet' ? <FaucetCard /> : null}
      </div>
      <div className="grid">
        <ReceiveCard />
        <PayCard />
      </div>
      <HistoryCard />
      <AgentWalletsCard />
    </Page>
  );
}

function BalanceCard() {
  const balance = useProc('wallet.balance', {});
  return (
    <Card title="Operator balance">
      {balance.isPending ? <Loading what="the balance" /> : null}
      {balance.isError ? <ErrorState error={balance.error} retry={() => void balance.refetch()} /> : null}
      {balance.data ? (
        <>
          <div className="wallet-balance-figure" data-testid="wallet-balance"><Sats value={balance.data.balanceSats} /></div>
          <div className="wallet-balance-label">
            <Badge tone={balance.data.network === 'mainnet' ? 'info' : 'warn'}>{balance.data.network}</Badge>
            {balance.data.label ? <span className="muted small" data-testid="wallet-label">{balance.data.label}</span> : null}
          </div>
        </>
      ) : null}
    </Card>
  );
}

function FaucetCard() {
  const faucet = useProcMutation('wallet.faucet', ['wallet.balance', 'wallet.history', 'activity.list']);
  const [amount, setAmount] = useState('100000');
  const [invalid, setInvalid] = useState<string | null>(null);
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const n = parseWholeSats(amount);
    if (n === null || n < 1 || n > FAUCET_MAX) {
      setInvalid(`Enter a whole number of sats from 1 to ${FAUCET_MAX.toLocaleString('en-US')}.`);
      return;
    }
    setInvalid(null);
    faucet.mutate({ amountSats: n });
  };
  return (
    <Card title="Devnet faucet" className="wallet-faucet">
      <p className="muted small">Mints devnet sats into the operator wallet. They are not real money and exist only in this home.</p>
      <form className="form" onSubmit={submit} noValidate>
        <label className="field" htmlFor="wallet-faucet-amount">
          Amount (sats)
          <input
            id="wallet-faucet-amount"
            data-testid="faucet-amount"
            inputMode="numeric"
            autoComplete="off"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            aria-invalid={invalid ? true : undefined}
            aria-describedby={invalid ? 'wallet-faucet-error' : undefined}
          />
        </label>
        {invalid ? <span id="wallet-faucet-error" className="field-error" role="alert">{invalid}</span> : null}
        <FormError error={faucet.error} />
        {faucet.data && !faucet.isPending ? (
          <p className="ok" role="status">Done: the balance is now <Sats value={faucet.data.balanceSats} />.</p>
        ) : null}
        <div className="row">
          <button type="submit" className="primary" data-testid="faucet-submit" disabled={faucet.isPending}>
            {faucet.isPending ? 'Minting…' : 'Get devnet sats'}
          </button>
        </div>
      </form>
    </Card>
  );
}

function HistoryCard() {
  const history = useProc('wallet.history', { limit: 200 });
  return (
    <Card title="History">
      {history.isPending ? <Loading what="the wallet history" /> : null}
      {history.isError ? <ErrorState error={history.error} retry={() => void history.refetch()} /> : null}
      {history.data && history.data.length === 0 ? <Empty>No payments yet.</Empty> : null}
      {history.data && history.data.length > 0 ? (
        <div className="wallet-table-wrap">
          <table data-testid="wallet-history">
            <thead>
              <tr>
                <th scope="col">Direction</th>
                <th scope="col" className="num">Amount</th>
                <th scope="col" className="num">Fee</th>
                <th scope="col">Kind</th>
                <th scope="col">State</th>
                <th scope="col">Memo</th>
                <th scope="col">Time</th>
              </tr>
            </thead>
            <tbody>
              {history.data.map((tx, i) => (
                // Faucet credits carry no payment hash, so they need another key to stay distinct.
                <tr key={tx.paymentHash ? `${tx.direction}:${tx.paymentHash}` : `${tx.kind}@${tx.createdAt}#${i}`} data-testid="wallet-history-row">
                  <td className={tx.direction === 'in' ? 'wallet-dir-in' : 'wallet-dir-out'}>{tx.direction === 'in' ? '↓ in' : '↑ out'}</td>
                  <td className="num"><Sats value={tx.direction === 'in' ? tx.amountSats : -tx.amountSats} signed /></td>
                  <td className="num">{tx.feeSats > 0 ? <Sats value={tx.feeSats} /> : <span className="muted">—</span>}</td>
                  <td><Badge tone={tx.kind === 'faucet' ? 'warn' : 'info'}>{tx.kind}</Badge></td>
                  <td><Badge tone={txStateTone(tx.state)}>{tx.state}</Badge></td>
                  <td>{tx.memo || <span className="muted">—</span>}</td>
                  <td><Time ms={tx.settledAt ?? tx.createdAt} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Card>
  );
}

function txStateTone(state: string): 'ok' | 'warn' | 'bad' | 'muted' {
  if (state === 'succeeded') return 'ok';
  if (state === 'pending') return 'warn';
  if (state === 'failed' || state === 'expired') return 'bad';
  return 'muted';
}

function AgentWalletsCard() {
  const agents = useProc('agents.list', {});
  const total = agents.data?.reduce((s, a) => s + a.balanceSats, 0) ?? 0;
  return (
    <Card title="Agent wallets">
      {agents.isPending ? <Loading what="the agents" /> : null}
      {agents.isError ? <ErrorState error={agents.error} retry={() => void agents.refetch()} /> : null}
      {agents.data && agents.data.length === 0 ? <Empty>No agents yet. <Link to="/agents">Spawn one</Link> and fund it from here.</Empty> : null}
      {agents.data && agents.data.length > 0 ? (
        <div className="wallet-table-wrap">
          <table data-testid="agent-wallets">
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Lifecycle</th>
                <th scope="col" className="num">Balance</th>
                <th scope="col" className="num">Runway</th>
              </tr>
            </thead>
            <tbody>
              {agents.data.map((a) => (
                <tr key={a.id}>
                  <td><Link to={`/agents/${a.id}`}>{a.name}</Link></td>
                  <td><Badge tone={lifecycleTone(a.lifecycle)}>{a.lifecycle}</Badge></td>
                  <td className="num"><Sats value={a.balanceSats} /></td>
                  <td className="num">{a.runwayDays === null ? <span className="muted">—</span> : `${a.runwayDays} ${a.runwayDays === 1 ? 'day' : 'days'}`}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row" colSpan={2}>Total</th>
                <td className="num"><Sats value={total} /></td>
                <td />
              </tr>
            </tfoot>
          </table>
        </div>
      ) : null}
    </Card>
  );
}
