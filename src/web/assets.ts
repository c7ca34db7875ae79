// Static assets of the pages (scripts and styles built by src/web/build.ts into dist/web/public).
// Each is served under a name carrying a hash of its content (`/assets/guest.3f2a9c1b.js`) with a
// year-long immutable cache, so a phone downloads it once per release; the bytes are kept in
// memory with gzip and brotli versions made once at start. Nothing is fetched from elsewhere.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface Asset {
  /** The URL path, /assets/<name>.<hash>.<ext>. */
  url: string;
  type: string;
  body: Buffer;
  gzip: Buffer;
  br: Buffer;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The built assets' directory: next to this module once compiled, else the build's output. */
export function publicDir(): string | undefined {
  const candidates = [new URL('./public/', import.meta.url), new URL('../../dist/web/public/', import.meta.url)];
  return candidates.map((u) => fileURLToPath(u)).find((dir) => existsSync(dir));
}

export function compress(body: Buffer): { gzip: Buffer; br: Buffer } {
  return {
    gzip: gzipSync(body, { level: 9 }),
    br: brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }),
  };
}

export class Assets {
  private readonly byName = new Map<string, Asset>();
  private readonly byUrl = new Map<string, Asset>();

  constructor(dir: string | undefined = publicDir()) {
    if (!dir) return;
    for (const file of readdirSync(dir)) {
      const dot = file.lastIndexOf('.');
      const ext = file.slice(dot);
      const type = TYPES[ext];
      if (!type) continue;
      const body = readFileSync(`${dir}/${file}`);
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
      const asset: Asset = { url: `/assets/${file.slice(0, dot)}.${hash}${ext}`, type, body, ...compress(body) };
      this.byName.set(file, asset);
      this.byUrl.set(asset.url, asset);
    }
  }

  /** The hashed URL of a built file (e.g. "guest.js"); a missing build is an error at start. */
  url(file: string): string {
    const asset = this.byName.get(file);
    if (!asset) throw new Error(`web asset ${file} is missing: run npm run build`);
    return asset.url;
  }

  has(file: string): boolean {
    return this.byName.has(file);
  }

  get(url: string): Asset | undefined {
    return this.byUrl.get(url);
  }

  /** A built file's text (the stylesheet pages inline). */
  text(file: string): string {
    const asset = this.byName.get(file);
    if (!asset) throw new Error(`web asset ${file} is missing: run npm run build`);
    return asset.body.toString('utf8');
  }

  /** Transfer size of files as a browser that accepts brotli gets them (the page budget). */
  compressedBytes(files: string[]): number {
    return files.reduce((sum, f) => sum + (this.byName.get(f)?.br.length ?? 0), 0);
  }
}

/** The best encoding the client accepts of the ones we keep. */
export function encodingFor(request: FastifyRequest): 'br' | 'gzip' | undefined {
  const accept = String(request.headers['accept-encoding'] ?? '');
  if (/\bbr\b/.test(accept)) return 'br';
  if (/\bgzip\b/.test(accept)) return 'gzip';
  return undefined;
}

/** Sends a body with its precompressed variant when the client takes one. */
export function sendEncoded(
  request: FastifyRequest,
  reply: FastifyReply,
  variants: { body: Buffer; gzip: Buffer; br: Buffer },
  type: string,
): FastifyReply {
  const encoding = encodingFor(request);
  void reply.header('vary', 'Accept-Encoding').type(type);
  if (encoding) void reply.header('content-encoding', encoding);
  return reply.send(encoding ? variants[encoding] : variants.body);
}
