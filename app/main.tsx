import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createLocalNode } from '../src/node/localNode';
import { App } from './App';
import { bindNode } from './store';

const node = createLocalNode();
window.doin = node;
bindNode(node);

const root = document.getElementById('root');
if (!root) throw new Error('missing #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
