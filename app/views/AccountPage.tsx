/** An account: balance, nonce, reputation, rewards and its main-chain history. */
import type { AccountEntry } from '../../src/node/api';
import { AccountLink, BlockLink, CopyButton, QueryState } from '../components/bits';
import { ExplorerSearch } from '../components/ExplorerSearch';
import { formatAge, formatDoin, formatInteger, formatTime } from '../format';
import { useNodeQuery, useNow } from '../hooks';
import { href } from '../router';
import { useNodeStore } from '../store';

export default function AccountPage({ id }: { id: string }) {
  const self = useNodeStore((s) => s.status?.peerId ?? null);
  const selfAccount = useNodeStore((s) => s.selfAccount);
  // The node takes a hex key or a peer id and answers with both.
  const query = useNodeQuery(`account:${id}`, (node) => node.account(id));
  const account = query.data;
  const accountId = account?.id ?? id;
  const mine = self === id || (selfAccount !== null && selfAccount === accountId);
  return (
    <>
      <section className="card" aria-labelledby="account-heading">
        <p className="crumbs">
          <a href={href.explorer()}>Explorer</a> / account
        </p>
        <h1 id="account-heading">Account{mine ? ' (you)' : ''}</h1>
        <p>
          <code className="wrap" data-testid="account-id">
            {account?.id ?? accountId}
          </code>{' '}
          <CopyButton text={account?.id ?? accountId} />
        </p>
        {id !== accountId && (
          <p className="hint">
            The account of peer <code className="wrap">{id}</code> (the same Ed25519 key).
          </p>
        )}
        <QueryState loading={query.loading && !account} error={query.error} what="the account" />
        {account && (
          <dl className="facts" data-testid="account-detail">
            <dt>Balance</dt>
            <dd data-testid="account-balance">{formatDoin(account.balance)}</dd>
            <dt>Rewards earned</dt>
            <dd data-testid="account-rewards">{formatDoin(account.rewardsEarned)}</dd>
            <dt>Transfers sent (nonce)</dt>
            <dd>{account.nonce}</dd>
            <dt>Reputation</dt>
            <dd>
              {formatInteger(account.reputation)}{' '}
              <span className="muted">(rises with verified work, falls with false claims)</span>
            </dd>
          </dl>
        )}
      </section>
      {account && (
        <section className="card" aria-labelledby="history-heading">
          <h2 id="history-heading">History</h2>
          <History entries={account.history} />
        </section>
      )}
      <section className="card">
        <ExplorerSearch />
      </section>
    </>
  );
}

const KIND: Record<AccountEntry['kind'], string> = {
  reward: 'reward',
  sent: 'sent',
  received: 'received',
};

/** An account's history table (also the wallet's). */
export function History({ entries }: { entries: AccountEntry[] }) {
  const now = useNow(5000);
  if (entries.length === 0) return <p className="muted">Nothing on the chain yet.</p>;
  return (
    <div className="table-wrap">
      <table data-testid="history">
        <thead>
          <tr>
            <th scope="col">Block</th>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">With</th>
            <th scope="col" className="num">
              Amount
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: one fetched list, never reordered in place
            <tr key={`${e.blockHash}-${e.kind}-${i}`} data-testid={`history-${e.kind}`}>
              <td>
                <BlockLink id={e.blockHash} label={`#${e.height}`} />
              </td>
              <td title={formatTime(e.timestamp)}>{formatAge(now - e.timestamp)} ago</td>
              <td>{KIND[e.kind]}</td>
              <td>
                {e.counterparty ? (
                  <AccountLink id={e.counterparty} />
                ) : (
                  <span className="muted">block reward</span>
                )}
              </td>
              <td className={`num ${e.amount < 0 ? 'neg' : 'pos'}`}>
                {e.amount > 0 ? '+' : ''}
                {formatDoin(e.amount)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
