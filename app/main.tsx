import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createDebugSurface } from '../src/node/debug';
import { createPageNode } from '../src/node/pageNode';
import { loadSettings, withSettings } from '../src/node/settings';
import { parseUrlOptions } from '../src/node/urlOptions';
import { App } from './App';
import { bindNode, useNodeStore } from './store';
import './styles.css';

// URL parameters win for this visit; the saved settings (Settings view) fill in the rest.
const fromUrl = parseUrlOptions(location.search);
const saved = loadSettings(fromUrl.profile);
const url = withSettings(fromUrl, saved.settings, location.search);
const node = createPageNode(url);
window.doin = node;
if (url.debug) window.doinDebug = createDebugSurface(node);
bindNode(node, { profile: url.profile, dutyCycle: saved.settings.dutyCycle });
if (saved.problem) useNodeStore.getState().reportError(saved.problem);
if (url.autostart) {
  const { dutyCycle } = saved.settings;
  void node.ready.then(() => node.start(dutyCycle < 1 ? { dutyCycle } : undefined));
}

const root = document.getElementById('root');
if (!root) throw new Error('missing #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
