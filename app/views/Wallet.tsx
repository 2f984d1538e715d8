/**
 * Wallet: this page's address and balance, sending DOIN, its history, and moving the account
 * (export / import of the chain and, if asked, the key).
 */
import { useId, useState } from 'react';
import type { ArchiveImport, TransferReceipt } from '../../src/node/api';
import { AccountLink, CopyButton, QueryState } from '../components/bits';
import { errorText, formatDoin, parseDoin } from '../format';
import { useNodeQuery } from '../hooks';
import { looksLikeAddress } from '../ids';
import { useNodeStore } from '../store';
import { History } from './AccountPage';

export default function Wallet() {
  const status = useNodeStore((s) => s.status);
  const network = status?.mode === 'network';
  const peerId = status?.peerId ?? '';
  const self = useNodeStore((s) => s.selfAccount) ?? '';
  const account = useNodeQuery(`wallet:${self}:${network}`, (node) =>
    network && self
      ? node.account(self)
      : Promise.reject(new Error('no chain in the local simulation')),
  );
  const sent = useNodeStore((s) => s.sent);
  if (!status) return <p className="muted">Starting…</p>;
  return (
    <>
      <div className="grid-2">
        <section className="card" aria-labelledby="wallet-heading">
          <h1 id="wallet-heading">Wallet</h1>
          <dl className="facts">
            <dt>Your address</dt>
            <dd>
              <code className="wrap" data-testid="wallet-address">
                {self || peerId}
              </code>{' '}
              <CopyButton text={self || peerId} label="Copy address" />
              {self && self !== peerId && (
                <p className="hint">
                  Your public key, as the chain names your account. Your peer id{' '}
                  <code className="wrap" data-testid="wallet-peer-id">
                    {peerId}
                  </code>{' '}
                  embeds the same key: either works as a recipient.
                </p>
              )}
            </dd>
            <dt>Balance</dt>
            <dd>
              <strong className="balance" data-testid="wallet-balance">
                {formatDoin(status.balance)}
              </strong>{' '}
              <span className="muted">
                ({status.balance.toLocaleString('en-US')} base units; 1 DOIN = 100,000,000)
              </span>
            </dd>
            {account.data && (
              <>
                <dt>Rewards earned</dt>
                <dd>{formatDoin(account.data.rewardsEarned)}</dd>
              </>
            )}
          </dl>
          {!network && (
            <p className="notice" role="status">
              The local simulation keeps no wallet: open the page from a relay to hold and send
              DOIN.
            </p>
          )}
        </section>
        {network && (
          <SendForm
            balance={status.balance}
            self={self}
            onSent={(r) => useNodeStore.setState((s) => ({ sent: [r, ...s.sent] }))}
          />
        )}
      </div>
      {sent.length > 0 && (
        <section className="card" aria-labelledby="pending-heading">
          <h2 id="pending-heading">Sent from this page</h2>
          <ul className="plain" data-testid="sent-list">
            {sent.map((r) => {
              const included = account.data !== undefined && account.data.nonce > r.nonce;
              return (
                <li key={`${r.from}-${r.nonce}`} data-testid="sent-transfer">
                  {formatDoin(r.amount)} to <AccountLink id={r.to} /> (fee {formatDoin(r.fee)},
                  nonce {r.nonce}):{' '}
                  <span className={included ? 'tag tag-good' : 'tag'} data-testid="sent-state">
                    {included ? 'in a block' : 'waiting for a block'}
                  </span>
                </li>
              );
            })}
          </ul>
        </section>
      )}
      {network && (
        <section className="card" aria-labelledby="whistory-heading">
          <h2 id="whistory-heading">History</h2>
          <QueryState
            loading={account.loading && !account.data}
            error={account.error}
            what="your history"
          />
          {account.data && <History entries={account.data.history} />}
        </section>
      )}
      {network && <MoveAccount />}
    </>
  );
}

function SendForm({
  balance,
  self,
  onSent,
}: {
  balance: number;
  self: string;
  onSent: (receipt: TransferReceipt) => void;
}) {
  const node = useNodeStore((s) => s.node);
  const ownPeerId = useNodeStore((s) => s.status?.peerId);
  const [to, setTo] = useState('');
  const [amount, setAmount] = useState('');
  const [fee, setFee] = useState('0');
  const [memo, setMemo] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const errorId = useId();

  function check(): { to: string; amount: number; fee: number } | string {
    if (!to.trim()) return 'Write the recipient’s address (their key or peer id).';
    const recipient = looksLikeAddress(to) ? to.trim() : null;
    if (!recipient) {
      return 'That is not an address: use a 64-hex-digit key or a peer id (12D3Koo…).';
    }
    if (recipient === self || recipient === ownPeerId) return 'That is your own address.';
    let units: number;
    let feeUnits: number;
    try {
      units = parseDoin(amount);
    } catch (err) {
      return `Amount: ${errorText(err)}.`;
    }
    if (units <= 0) return 'Amount: send more than 0.';
    try {
      feeUnits = fee.trim() === '' ? 0 : parseDoin(fee);
    } catch (err) {
      return `Fee: ${errorText(err)}.`;
    }
    if (units + feeUnits > balance) {
      return `Not enough DOIN: you have ${formatDoin(balance)}, this needs ${formatDoin(units + feeUnits)} with the fee.`;
    }
    return { to: recipient, amount: units, fee: feeUnits };
  }

  return (
    <section className="card" aria-labelledby="send-heading">
      <h2 id="send-heading">Send DOIN</h2>
      <form
        className="send-form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          setDone(null);
          const checked = check();
          if (typeof checked === 'string') {
            setProblem(checked);
            return;
          }
          if (!node) return;
          setProblem(null);
          setSending(true);
          node
            .transfer(checked.to, checked.amount, {
              fee: checked.fee,
              ...(memo.trim() ? { memo: memo.trim() } : {}),
            })
            .then(
              (receipt) => {
                onSent(receipt);
                setDone(
                  `Signed and sent: ${formatDoin(receipt.amount)} to ${receipt.to.slice(0, 12)}… (nonce ${receipt.nonce}). It counts once a block includes it.`,
                );
                setAmount('');
                setMemo('');
              },
              (err: unknown) => setProblem(`Not sent: ${errorText(err)}`),
            )
            .finally(() => setSending(false));
        }}
      >
        <div className="field">
          <label htmlFor="send-to">To (address)</label>
          <input
            id="send-to"
            data-testid="send-to"
            value={to}
            onChange={(event) => setTo(event.currentTarget.value)}
            autoComplete="off"
            spellCheck={false}
            aria-describedby={problem ? errorId : undefined}
          />
        </div>
        <div className="field-row">
          <div className="field">
            <label htmlFor="send-amount">Amount (DOIN)</label>
            <input
              id="send-amount"
              data-testid="send-amount"
              inputMode="decimal"
              value={amount}
              onChange={(event) => setAmount(event.currentTarget.value)}
              aria-describedby={problem ? errorId : undefined}
            />
          </div>
          <div className="field">
            <label htmlFor="send-fee">Fee (DOIN)</label>
            <input
              id="send-fee"
              inputMode="decimal"
              value={fee}
              onChange={(event) => setFee(event.currentTarget.value)}
            />
          </div>
        </div>
        <div className="field">
          <label htmlFor="send-memo">Memo (optional, public)</label>
          <input
            id="send-memo"
            value={memo}
            maxLength={64}
            onChange={(event) => setMemo(event.currentTarget.value)}
          />
        </div>
        <button type="submit" disabled={sending}>
          {sending ? 'Sending…' : 'Send'}
        </button>
        <div aria-live="polite">
          {problem && (
            <p className="form-error" id={errorId} data-testid="send-error">
              {problem}
            </p>
          )}
          {done && (
            <p className="form-ok" data-testid="send-ok">
              {done}
            </p>
          )}
        </div>
      </form>
    </section>
  );
}

function MoveAccount() {
  const node = useNodeStore((s) => s.node);
  const status = useNodeStore((s) => s.status);
  const [includeIdentity, setIncludeIdentity] = useState(false);
  const [exporting, setExporting] = useState(false);
  const [exportNote, setExportNote] = useState<string | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [replaceIdentity, setReplaceIdentity] = useState(false);
  const [importing, setImporting] = useState(false);
  const [result, setResult] = useState<ArchiveImport | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function exportNow() {
    if (!node || !status) return;
    setExporting(true);
    setExportNote(null);
    try {
      const bytes = await node.exportArchive({ includeIdentity });
      const name = `doin-${(status.network?.name ?? status.mode).replace(/[^A-Za-z0-9_-]+/g, '-')}-${status.head.height}.doin`;
      const url = URL.createObjectURL(
        new Blob([bytes as BlobPart], { type: 'application/octet-stream' }),
      );
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setExportNote(
        `Saved ${name} (${bytes.length.toLocaleString('en-US')} bytes)${includeIdentity ? ', with your key: keep it safe' : ''}.`,
      );
    } catch (err) {
      setExportNote(`Not exported: ${errorText(err)}`);
    } finally {
      setExporting(false);
    }
  }

  async function importNow() {
    if (!node || !file) return;
    setImporting(true);
    setProblem(null);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      setResult(await node.importArchive(bytes, { replaceIdentity }));
      setFile(null);
    } catch (err) {
      setProblem(`Not imported: ${errorText(err)}`);
    } finally {
      setImporting(false);
    }
  }

  return (
    <section className="card" aria-labelledby="move-heading">
      <h2 id="move-heading">Move this account</h2>
      <h3>Export</h3>
      <p>
        Save the chain (and, if you choose, your key) as one file, to open this account in another
        browser or keep a backup.
      </p>
      <label className="check">
        <input
          type="checkbox"
          checked={includeIdentity}
          onChange={(event) => setIncludeIdentity(event.currentTarget.checked)}
        />{' '}
        Include my key
      </label>
      {includeIdentity && (
        <p className="warning" data-testid="export-warning">
          <strong>A file with the key IS the account.</strong> Anyone who holds it can spend your
          DOIN and sign as you. Keep it private, like a password; never send it to anyone.
        </p>
      )}
      <p>
        <button type="button" onClick={() => void exportNow()} disabled={exporting}>
          {exporting ? 'Exporting…' : includeIdentity ? 'Download chain and key' : 'Download chain'}
        </button>
      </p>
      {exportNote && (
        <p aria-live="polite" data-testid="export-note">
          {exportNote}
        </p>
      )}
      <h3>Import</h3>
      <div className="field">
        <label htmlFor="import-file">Archive file (.doin)</label>
        <input
          id="import-file"
          type="file"
          accept=".doin,application/octet-stream"
          onChange={(event) => {
            setResult(null);
            setProblem(null);
            setReplaceIdentity(false);
            setFile(event.currentTarget.files?.[0] ?? null);
          }}
        />
      </div>
      {file && (
        <div className="confirm" data-testid="import-confirm">
          <p>
            Import <strong>{file.name}</strong> ({file.size.toLocaleString('en-US')} bytes)? Every
            block is checked with the network’s rules; it becomes your chain only if heavier than
            what this browser has.
          </p>
          <label className="check">
            <input
              type="checkbox"
              checked={replaceIdentity}
              onChange={(event) => setReplaceIdentity(event.currentTarget.checked)}
            />{' '}
            Also use the key in the file as this browser’s account (from the next reload)
          </label>
          {replaceIdentity && (
            <p className="warning">
              This browser’s current key is replaced. If you have not exported it, its balance is
              lost for good.
            </p>
          )}
          <p className="button-row">
            <button type="button" onClick={() => void importNow()} disabled={importing}>
              {importing ? 'Importing…' : 'Import'}
            </button>
            <button type="button" className="secondary" onClick={() => setFile(null)}>
              Cancel
            </button>
          </p>
        </div>
      )}
      <div aria-live="polite">
        {problem && (
          <p className="form-error" data-testid="import-error">
            {problem}
          </p>
        )}
        {result && (
          <div className="form-ok" data-testid="import-result">
            <p>
              Imported {result.imported} blocks; your head is now #{result.head.height}.
              {result.note ? ` ${result.note}` : ''}
            </p>
            {result.identityReplaced && (
              <p>
                The key was saved and is used after a reload.{' '}
                <button type="button" onClick={() => location.reload()}>
                  Reload now
                </button>
              </p>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
