import { useState } from 'react';
import { shortId } from '../format';
import { href } from '../router';
import { useNodeStore } from '../store';

/** A link to a block by hash (or height), showing a short hash with the full one on hover. */
export function BlockLink({ id, label }: { id: string | number; label?: string }) {
  const text = label ?? (typeof id === 'number' ? `#${id}` : shortId(id));
  return (
    <a href={href.block(id)} title={String(id)} className="mono">
      {text}
    </a>
  );
}

/** A link to an account page; "(you)" marks this page's own account (peer id or key). */
export function AccountLink({ id }: { id: string }) {
  const mine = useNodeStore((s) => id === s.status?.peerId || id === s.selfAccount);
  return (
    <a href={href.account(id)} title={id} className="mono">
      {shortId(id)}
      {mine ? ' (you)' : ''}
    </a>
  );
}

/** Copies text to the clipboard and says so (falls back to selecting the text). */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<'copied' | 'failed' | null>(null);
  return (
    <button
      type="button"
      className="small"
      onClick={() => {
        navigator.clipboard
          ?.writeText(text)
          .then(() => setDone('copied'))
          .catch(() => setDone('failed'));
        if (!navigator.clipboard) setDone('failed');
        setTimeout(() => setDone(null), 2500);
      }}
    >
      {label}
      <span aria-live="polite" className="copy-note">
        {done === 'copied' ? ' ✓ copied' : done === 'failed' ? ' (select and copy by hand)' : ''}
      </span>
    </button>
  );
}

/** What a chain view shows while loading or when the node could not answer. */
export function QueryState({
  loading,
  error,
  what,
}: {
  loading: boolean;
  error: string | null;
  what: string;
}) {
  if (error) {
    return (
      <p className="notice" role="status" data-testid="view-error">
        {error}
      </p>
    );
  }
  if (loading) return <p className="muted">Loading {what}…</p>;
  return null;
}
