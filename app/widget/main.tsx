/**
 * The embeddable widget (/widget.html): a compact view of this browser's doin node for an iframe
 * on another site, and the window.doin API over postMessage for the embedding page (bridge.ts).
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createPageNode } from '../../src/node/pageNode';
import { parseUrlOptions } from '../../src/node/urlOptions';
import { createWidgetBridge, embedderOriginOf, parseHosts, storageConsent } from './bridge';
import { askConsent, useWidgetStore } from './store';
import { Widget } from './Widget';
import './widget.css';

const search = new URLSearchParams(location.search);
const url = parseUrlOptions(location.search);
const { hosts, errors: hostErrors } = parseHosts(search.get('hosts'));
const node = createPageNode(url);
window.doin = node;

const framed = window.parent !== window;
const embedderOrigin = framed ? embedderOriginOf(window) : null;
let storage: Storage | null = null;
try {
  storage = window.localStorage;
} catch {
  // Storage blocked (e.g. third-party storage off): consent is asked every time.
}
const consent = storageConsent(storage);

const bridge = createWidgetBridge({
  node,
  parent: framed ? window.parent : null,
  hosts,
  embedderOrigin,
  ownOrigin: location.origin,
  consent,
  askConsent,
  autostart: url.autostart,
  onStatus: (status) => useWidgetStore.setState({ status }),
  onChange: () => {
    const origin = bridge.embedder();
    useWidgetStore.setState({
      embedder: origin,
      consented: origin !== null && consent.has(origin),
    });
  },
});
const initialEmbedder = bridge.embedder();
useWidgetStore.setState({
  warnings: [...url.errors, ...hostErrors],
  embedder: initialEmbedder,
  consented: initialEmbedder !== null && consent.has(initialEmbedder),
});
node.ready.catch((err: unknown) =>
  useWidgetStore.setState({ error: err instanceof Error ? err.message : String(err) }),
);

window.addEventListener('message', (event) => {
  void bridge.handleMessage(event);
});
window.doinWidget = { stats: () => bridge.stats(), host: () => bridge.host() };

const root = document.getElementById('root');
if (!root) throw new Error('missing #root element');
createRoot(root).render(
  <StrictMode>
    <Widget bridge={bridge} />
  </StrictMode>,
);
