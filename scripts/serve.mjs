#!/usr/bin/env node
// Dependency-free static server for the built app (dist/), with SPA fallback to index.html.
// Usage: node scripts/serve.mjs [--port N] [--host H]   (defaults: $PORT or 8080, 127.0.0.1)
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.bin': 'application/octet-stream',
};

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

async function isFile(path) {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

if (!(await isFile(join(root, 'index.html')))) {
  console.error(`serve: ${root}/index.html not found. Build the app first: run \`npm start\``);
  console.error('(or `npm run build`, then this command again).');
  process.exit(1);
}

/** Maps a URL path to a file under root, or null if it escapes root or is malformed. */
function resolveUnderRoot(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const full = resolve(root, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
  if (full !== root && !full.startsWith(root + sep)) return null;
  return full;
}

function send(res, code, text) {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

const server = createServer(async (req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'Method Not Allowed');
  }
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const target = resolveUnderRoot(pathname);
  if (target === null) return send(res, 400, 'Bad Request');

  let file = target;
  if (!(await isFile(file))) {
    const index = join(target, 'index.html');
    if (await isFile(index)) {
      file = index;
    } else if (extname(pathname) === '') {
      file = join(root, 'index.html'); // SPA route: let the app handle it
    } else {
      return send(res, 404, 'Not Found');
    }
  }

  let size;
  try {
    size = (await stat(file)).size;
  } catch {
    return send(res, 404, 'Not Found');
  }
  const immutable = file.startsWith(join(root, 'assets') + sep);
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
});

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
