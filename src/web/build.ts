// Builds the pages' assets into dist/web/public: each page's script bundled and minified by
// esbuild (the client code is TypeScript in src/web/client, type-checked by its own tsconfig),
// and the stylesheet minified. Run by `npm run build` (so by `npm install` and `npm start`).
import { build } from 'esbuild';
import { mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const WEB_OUT_DIR = `${root}dist/web/public`;

export async function buildWebAssets(outdir: string = WEB_OUT_DIR): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: ['guest', 'booking'].map((name) => `${root}src/web/client/${name}.ts`),
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome100', 'safari15', 'firefox100'],
    outdir,
    legalComments: 'none',
    logLevel: 'warning',
  });
  await build({ entryPoints: [`${root}src/web/styles/web.css`], bundle: true, minify: true, outdir, logLevel: 'warning' });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWebAssets();
}
