/** One block: header, the optimae it verified (claim vs quorum), transfers and rewards. */
import type { BlockDetail, OptimaeView } from '../../src/node/api';
import { AccountLink, BlockLink, CopyButton, QueryState } from '../components/bits';
import { ExplorerSearch } from '../components/ExplorerSearch';
import { formatAge, formatDoin, formatInteger, formatMetric, formatTime } from '../format';
import { useNodeQuery, useNow } from '../hooks';
import { href } from '../router';
import { useNodeStore } from '../store';

const VERDICTS: Record<OptimaeView['verdict'], string> = {
  accepted: 'verified',
  'false-claim': 'rejected: the quorum did not confirm the claim',
  stale: 'stale: no longer an improvement when included',
};

export default function BlockPage({ id }: { id: string }) {
  const headHeight = useNodeStore((s) => s.status?.head.height ?? 0);
  // A height may point to another block after a reorg: follow the head for those.
  const query = useNodeQuery(`block:${id}`, (node) => node.block(id), /^\d+$/.test(id));
  const now = useNow(5000);
  const block = query.data;
  return (
    <>
      <section className="card" aria-labelledby="block-heading">
        <p className="crumbs">
          <a href={href.explorer()}>Explorer</a> / block
        </p>
        <h1 id="block-heading">
          Block {block ? `#${block.height}` : <span className="mono">{id.slice(0, 16)}</span>}
        </h1>
        <QueryState loading={query.loading && !block} error={query.error} what="the block" />
        {block === null && (
          <p className="notice" role="status" data-testid="block-missing">
            {id === '0'
              ? 'Block 0 is the genesis: the network’s parameters, with no optimae, transfers or rewards.'
              : `This node has no main-chain block “${id}” to show: it may be the genesis (which holds nothing), on a side branch, not synced yet, or not exist.`}
          </p>
        )}
        {block && <BlockHeader block={block} now={now} headHeight={headHeight} />}
      </section>
      {block && (
        <>
          <Optimae block={block} />
          <Transfers block={block} />
          <Rewards block={block} />
        </>
      )}
      <section className="card">
        <ExplorerSearch />
      </section>
    </>
  );
}

function BlockHeader({
  block,
  now,
  headHeight,
}: {
  block: BlockDetail;
  now: number;
  headHeight: number;
}) {
  return (
    <>
      <dl className="facts" data-testid="block-detail">
        <dt>Hash</dt>
        <dd>
          <code className="wrap" data-testid="block-hash">
            {block.hash}
          </code>{' '}
          <CopyButton text={block.hash} />
        </dd>
        <dt>Height</dt>
        <dd data-testid="block-height">{block.height}</dd>
        <dt>Time</dt>
        <dd>
          {formatTime(block.timestamp)}{' '}
          <span className="muted">({formatAge(now - block.timestamp)} ago)</span>
        </dd>
        <dt>Generator</dt>
        <dd data-testid="block-generator" data-generator={block.generator}>
          {block.height === 0 ? 'genesis' : <AccountLink id={block.generator} />}
        </dd>
        <dt>Previous block</dt>
        <dd>
          {block.height === 1 ? (
            <span className="mono" title={block.prevHash}>
              the genesis ({block.prevHash.slice(0, 8)}…)
            </span>
          ) : (
            <BlockLink id={block.prevHash} />
          )}
        </dd>
        <dt>Increment / threshold</dt>
        <dd>
          {formatInteger(block.incrementSum)} / {formatInteger(block.threshold)}{' '}
          <span className="muted">
            (the verified improvements in this block, in increment units, against what it needed)
          </span>
        </dd>
      </dl>
      <nav className="pager" aria-label="Neighbouring blocks">
        {block.height > 1 ? (
          <a href={href.block(block.height - 1)}>← #{block.height - 1}</a>
        ) : (
          <span />
        )}
        {block.height < headHeight ? (
          <a href={href.block(block.height + 1)}>#{block.height + 1} →</a>
        ) : (
          <span className="muted">this is the head</span>
        )}
      </nav>
    </>
  );
}

function Optimae({ block }: { block: BlockDetail }) {
  return (
    <section className="card" aria-labelledby="optimae-heading">
      <h2 id="optimae-heading">Optimae ({block.optimaeList.length})</h2>
      <p className="muted">
        Each optimae is a model improvement: what its optimizer claimed, and what the quorum of
        evaluators measured on data nobody knew when the claim was made (the chain trusts only the
        latter).
      </p>
      {block.optimaeList.length === 0 ? (
        <p className="muted">No optimae in this block.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="optimae-list">
            <thead>
              <tr>
                <th scope="col">Domain</th>
                <th scope="col">Optimizer</th>
                <th scope="col" className="num">
                  Claimed
                </th>
                <th scope="col" className="num">
                  Verified
                </th>
                <th scope="col">Verdict</th>
                <th scope="col">Votes</th>
              </tr>
            </thead>
            <tbody>
              {block.optimaeList.map((o) => (
                <tr key={o.commitId} data-testid="optimae" className="top-align">
                  <td>
                    <a href={href.models(o.domainId)}>{o.domainId}</a>
                    <br />
                    <code
                      className="muted"
                      title={`commit ${o.commitId}, parameters ${o.paramsHash}`}
                    >
                      {o.paramsHash.slice(0, 10)}…
                    </code>
                  </td>
                  <td>
                    <AccountLink id={o.optimizer} />
                  </td>
                  <td className="num" data-testid="optimae-claimed">
                    {formatMetric(o.claimedMetric)}
                  </td>
                  <td className="num" data-testid="optimae-verified">
                    {formatMetric(o.verifiedMetric)}
                  </td>
                  <td>
                    <span
                      className={`tag ${o.verdict === 'accepted' ? 'tag-good' : 'tag-bad'}`}
                      title={VERDICTS[o.verdict]}
                    >
                      {o.verdict === 'accepted' ? 'verified' : o.verdict}
                    </span>
                  </td>
                  <td>
                    <details>
                      <summary>{o.votes.length} votes</summary>
                      <ul className="plain">
                        {o.votes.map((v) => (
                          <li key={v.evaluator}>
                            <AccountLink id={v.evaluator} />: {formatMetric(v.metric)}
                          </li>
                        ))}
                      </ul>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="hint">
        Verdicts: verified (the quorum confirmed an improvement); false-claim (the quorum measured
        worse than claimed: no reward); stale (no longer an improvement when the block was made).
      </p>
    </section>
  );
}

function Transfers({ block }: { block: BlockDetail }) {
  if (block.transferList.length === 0) return null;
  return (
    <section className="card" aria-labelledby="transfers-heading">
      <h2 id="transfers-heading">Transfers ({block.transferList.length})</h2>
      <div className="table-wrap">
        <table data-testid="transfer-list">
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col" className="num">
                Amount
              </th>
              <th scope="col" className="num">
                Fee
              </th>
              <th scope="col">Memo</th>
            </tr>
          </thead>
          <tbody>
            {block.transferList.map((t) => (
              <tr key={`${t.from}-${t.nonce}`}>
                <td>
                  <AccountLink id={t.from} />
                </td>
                <td>
                  <AccountLink id={t.to} />
                </td>
                <td className="num">{formatDoin(t.amount)}</td>
                <td className="num">{formatDoin(t.fee)}</td>
                <td>{t.memo}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Rewards({ block }: { block: BlockDetail }) {
  if (block.rewards.length === 0) return null;
  return (
    <section className="card" aria-labelledby="rewards-heading">
      <h2 id="rewards-heading">Rewards</h2>
      <p className="muted">
        Paid by this block’s coinbase to its generator, the optimizers (by increment) and the
        evaluators who agreed.
      </p>
      <div className="table-wrap">
        <table data-testid="reward-list">
          <thead>
            <tr>
              <th scope="col">To</th>
              <th scope="col" className="num">
                Amount
              </th>
            </tr>
          </thead>
          <tbody>
            {block.rewards.map((r) => (
              <tr key={r.to}>
                <td>
                  <AccountLink id={r.to} />
                </td>
                <td className="num">{formatDoin(r.amount)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
