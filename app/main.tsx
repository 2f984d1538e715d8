import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createDebugSurface } from '../src/node/debug';
import { createPageNode } from '../src/node/pageNode';
import { parseUrlOptions } from '../src/node/urlOptions';
import { App } from './App';
import { bindNode } from './store';

const url = parseUrlOptions(location.search);
const node = createPageNode(url);
window.doin = node;
if (url.debug) window.doinDebug = createDebugSurface(node);
bindNode(node);
if (url.autostart) void node.ready.then(() => node.start());

const root = document.getElementById('root');
if (!root) throw new Error('missing #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
