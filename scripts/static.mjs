// @ts-check
// Dependency-free static file handler for the built app (dist/), with SPA fallback to index.html.
// Used by scripts/serve.mjs and by the relay (relay/relay.js), which also answers GET /status.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built app: <repo>/dist. */
export const distRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/** @type {Record<string, string>} */
export const TYPES = {
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

/**
 * @param {string} path
 * @returns {Promise<boolean>}
 */
export async function isFile(path) {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} code
 * @param {string} text
 */
export function send(res, code, text) {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/**
 * Returns a node:http request handler that serves the files under root (GET and HEAD only).
 * @param {string} [root] absolute path of the folder to serve (default: dist/)
 * @returns {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void>}
 */
export function createStaticHandler(root = distRoot) {
  /**
   * Maps a URL path to a file under root, or null if it escapes root or is malformed.
   * @param {string} urlPath
   * @returns {string | null}
   */
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

  return async (req, res) => {
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
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };
}
