import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createLocalNode } from '../src/node/localNode';
import { parseUrlOptions } from '../src/node/urlOptions';
import { App } from './App';
import { bindNode } from './store';

const url = parseUrlOptions(location.search);
const node = createLocalNode({
  trainDomain: url.domain,
  backend: url.backend,
  warnings: url.errors,
});
window.doin = node;
bindNode(node);
if (url.autostart) void node.ready.then(() => node.start());

const root = document.getElementById('root');
if (!root) throw new Error('missing #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
