import { useState } from 'react';
import { errorText } from '../format';
import { looksLikeAddress } from '../ids';
import { href, navigate } from '../router';
import { useNodeStore } from '../store';

/** One box for a block height, a block hash or an account id. */
export function ExplorerSearch() {
  const node = useNodeStore((s) => s.node);
  const [query, setQuery] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);

  async function search(text: string) {
    const q = text.trim();
    setProblem(null);
    if (!q) {
      setProblem('Type a block height, a block hash or an account id.');
      return;
    }
    if (/^\d{1,12}$/.test(q)) {
      navigate(href.block(Number(q)));
      return;
    }
    if (!node) return;
    setSearching(true);
    try {
      // A hash names a block if this node knows one by it; anything else is an account.
      const block = /^[0-9a-f]{64}$/i.test(q) ? await node.block(q.toLowerCase()) : null;
      if (block) navigate(href.block(block.hash));
      else if (looksLikeAddress(q)) navigate(href.account(q));
      else setProblem('Not a block height, a block hash or an account id (hex key or peer id).');
    } catch (err) {
      setProblem(errorText(err));
    } finally {
      setSearching(false);
    }
  }

  return (
    <form
      className="search"
      aria-label="Search the chain"
      onSubmit={(event) => {
        event.preventDefault();
        void search(query);
      }}
    >
      <label htmlFor="explorer-search">Block height, block hash or account id</label>
      <div className="search-row">
        <input
          id="explorer-search"
          data-testid="explorer-search"
          type="search"
          value={query}
          onChange={(event) => setQuery(event.currentTarget.value)}
          placeholder="e.g. 12, 3fa2…, 12D3Koo…"
          autoComplete="off"
          spellCheck={false}
        />
        <button type="submit" disabled={searching}>
          {searching ? 'Searching…' : 'Find'}
        </button>
      </div>
      {problem && (
        <p className="form-error" role="status">
          {problem}
        </p>
      )}
    </form>
  );
}
