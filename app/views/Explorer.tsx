/** The chain explorer's front page: blocks newest first, with paging and search. */
import type { BlockSummary } from '../../src/node/api';
import { AccountLink, BlockLink, QueryState } from '../components/bits';
import { ExplorerSearch } from '../components/ExplorerSearch';
import { formatAge, formatInteger, formatTime, shortId } from '../format';
import { useNodeQuery, useNow } from '../hooks';
import { href } from '../router';
import { useNodeStore } from '../store';

const PAGE = 20;

export default function Explorer({ before }: { before: number | null }) {
  const headHeight = useNodeStore((s) => s.status?.head.height ?? 0);
  // The first page follows the head; older pages stay put.
  const blocks = useNodeQuery(
    `blocks:${before}`,
    (node) => node.blocks(before === null ? { limit: PAGE } : { before, limit: PAGE }),
    before === null,
  );
  const now = useNow(5000);
  const list: BlockSummary[] = blocks.data ?? [];
  const oldest = list.at(-1)?.height;
  const newest = list[0]?.height;
  const newerBefore = newest === undefined ? null : newest + 1 + PAGE;
  return (
    <section className="card" aria-labelledby="explorer-heading">
      <h1 id="explorer-heading">Chain explorer</h1>
      <p className="lede">
        Every block this browser has validated, read from its own copy of the chain (it works
        offline). Each block holds optimae — model improvements verified by a quorum of other peers
        — and transfers.
      </p>
      <ExplorerSearch />
      <QueryState loading={blocks.loading && !blocks.data} error={blocks.error} what="blocks" />
      {blocks.data && (
        <>
          <div className="table-wrap">
            <table className="blocks" data-testid="block-list">
              <caption className="visually-hidden">Blocks, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Height</th>
                  <th scope="col">Hash</th>
                  <th scope="col">Age</th>
                  <th scope="col">Generator</th>
                  <th scope="col" className="num">
                    Optimae
                  </th>
                  <th scope="col" className="num">
                    Transfers
                  </th>
                  <th scope="col" className="num">
                    Increment / threshold
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((b) => (
                  <tr
                    key={b.hash}
                    data-testid="block-row"
                    data-hash={b.hash}
                    data-height={b.height}
                    data-generator={b.generator}
                  >
                    <td>
                      {b.height === 0 ? '#0' : <BlockLink id={b.hash} label={`#${b.height}`} />}
                    </td>
                    <td>
                      {b.height === 0 ? (
                        <code title={b.hash}>{shortId(b.hash)}</code>
                      ) : (
                        <BlockLink id={b.hash} />
                      )}
                    </td>
                    <td title={formatTime(b.timestamp)}>{formatAge(now - b.timestamp)} ago</td>
                    <td>
                      {b.height === 0 ? (
                        <span className="muted">genesis</span>
                      ) : (
                        <AccountLink id={b.generator} />
                      )}
                    </td>
                    <td className="num">{b.optimae}</td>
                    <td className="num">{b.transfers}</td>
                    <td className="num">
                      {formatInteger(b.incrementSum)} / {formatInteger(b.threshold)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {list.length === 0 && <p className="muted">No blocks here.</p>}
          <nav className="pager" aria-label="Block pages">
            {before !== null ? (
              <a
                href={
                  newerBefore !== null && newerBefore <= headHeight
                    ? href.explorer(newerBefore)
                    : href.explorer()
                }
              >
                ← Newer
              </a>
            ) : (
              <span className="muted">Newest blocks (updates live)</span>
            )}
            {oldest !== undefined && oldest > 0 ? (
              <a href={href.explorer(oldest)}>Older →</a>
            ) : (
              <span className="muted">Genesis reached</span>
            )}
          </nav>
        </>
      )}
    </section>
  );
}
