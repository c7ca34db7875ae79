// Builds the pages' assets into dist/web/public: each page's script bundled and minified by
// esbuild (the client code is TypeScript in src/web/client, type-checked by its own tsconfig),
// and the stylesheet minified. Run by `npm run build` (so by `npm install` and `npm start`).
import { build } from 'esbuild';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const WEB_OUT_DIR = `${root}dist/web/public`;

export async function buildWebAssets(outdir: string = WEB_OUT_DIR): Promise<void> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await build({
    // Every page script in src/web/client; modules named *common.ts are shared, bundled into each.
    entryPoints: (await readdir(`${root}src/web/client`))
      .filter((file) => file.endsWith('.ts') && !file.endsWith('common.ts'))
      .map((file) => `${root}src/web/client/${file}`),
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome100', 'safari15', 'firefox100'],
    outdir,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // web.css is every page's (inlined); the staff's pages link staff.css and their own sheet.
  const styles = (await readdir(`${root}src/web/styles`)).filter((file) => file.endsWith('.css'));
  await build({ entryPoints: styles.map((file) => `${root}src/web/styles/${file}`), bundle: true, minify: true, outdir, logLevel: 'warning' });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWebAssets();
}
