#!/usr/bin/env node
// Dependency-free static server for the built app (dist/), with SPA fallback to index.html.
// Usage: node scripts/serve.mjs [--port N] [--host H]   (defaults: $PORT or 8080, 127.0.0.1)
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createStaticHandler, distRoot, isFile } from './static.mjs';

const root = distRoot;

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
const port = Number(values.port ?? process.env.PORT ?? 8080);
const host = values.host;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`serve: invalid port ${values.port ?? process.env.PORT}`);
  process.exit(2);
}

if (!(await isFile(join(root, 'index.html')))) {
  console.error(`serve: ${root}/index.html not found. Build the app first: run \`npm start\``);
  console.error('(or `npm run build`, then this command again).');
  process.exit(1);
}

const server = createServer(createStaticHandler(root));

server.on('error', (err) => {
  console.error(`serve: cannot listen on ${host}:${port}: ${err.message}`);
  process.exit(1);
});

server.listen(port, host, () => {
  const addr = server.address();
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const shownPort = typeof addr === 'object' && addr ? addr.port : port;
  console.log(`doin is running at http://${shownHost}:${shownPort}/`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
