/**
 * Serves a directory of static files (the WebChat bundle) over GET/HEAD with strict headers:
 * a same-origin content security policy, no framing, no sniffing. Paths never leave the directory.
 * Nothing served here is secret: the bundle contains no credential, and no file is templated.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import type { HttpRoute } from './http.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** A route that serves `dir` at `/` (index.html for `/`). Falls through when a file is missing. */
export function staticRoute(dir: string): HttpRoute {
  const root = normalize(dir + sep);
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    } catch {
      return false;
    }
    if (path === '/' || path === '') path = '/index.html';
    const file = normalize(join(root, path));
    if (!file.startsWith(root) || !existsSync(file)) return false;
    const stat = statSync(file);
    if (!stat.isFile()) return false;
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, {
      'content-type': type,
      'content-length': stat.size,
      // The HTML must always be fresh (it names the bundle); the bundle may be cached briefly.
      'cache-control': type.startsWith('text/html') ? 'no-store' : 'public, max-age=300',
      ...SECURITY_HEADERS,
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  };
}
