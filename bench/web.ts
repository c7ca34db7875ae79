// npm run bench:web [-- --runs N] [-- --seconds S]
//
// The guest menu page's budgets, printed:
// 1. bytes of JS + CSS it transfers, compressed (brotli, as Chromium asks): budget 60 KB (the
//    stylesheet is inlined in the HTML, allowed by its hash in the CSP, and counted here too);
// 2. time until it is usable (menu visible and "add" works: a tap adds to the cart) in Debian's
//    Chromium with DevTools' "Slow 4G" network (562.5 ms latency, 1.44 Mbit/s down, 675 kbit/s up)
//    and the CPU throttled 4× (a mid-range phone), cold cache, median of N runs: budget 1.5 s;
// 3. page loads per second one instance serves (autocannon, 20 connections, the page's HTML
//    compressed as a browser asks for it): budget 1,000/s.
// Starts a PostgreSQL cluster of its own with the demo restaurant, and Comanda in a process of its
// own as in production.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { brotliCompressSync } from 'node:zlib';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { chromium } from 'playwright-core';
import { qrUrlOf, tableOf } from '../src/core/ordering/table-sessions.js';
import { DEMO_RESTAURANT_ID } from '../src/core/seed.js';
import { freePort, startEmbeddedPostgres } from '../src/embedded/postgres.js';
import { demoDatabase } from './setup.js';
import { buildWebAssets } from '../src/web/build.js';

/** Bytes on the wire (the body as sent, compressed) of a GET asking for brotli. */
function transferred(target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(target, { headers: { 'accept-encoding': 'br' } }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve(bytes));
      })
      .on('error', reject);
  });
}

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('--runs', 5);
const SECONDS = arg('--seconds', 10);
const SECRET = randomBytes(32).toString('hex');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

await buildWebAssets();
const root = await mkdtemp(path.join(tmpdir(), 'comanda-bench-web-'));
await chmod(root, 0o711);
const cluster = await startEmbeddedPostgres({ clusterDir: path.join(root, 'cluster'), password: randomBytes(12).toString('hex'), logFile: path.join(root, 'postgres.log') });
const children: ChildProcess[] = [];
try {
  const { url: databaseUrl, db } = await demoDatabase(cluster.adminUrl, 'comanda_bench', 2);
  // Open today whatever the weekday.
  await db.query(
    `INSERT INTO restaurante.opening_exceptions ("restaurantId", date, closed, opens_at, closes_at)
     VALUES ($1, (now() AT TIME ZONE 'Europe/Madrid')::date, false, '00:00', '23:59')`,
    [DEMO_RESTAURANT_ID],
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const pageUrl = qrUrlOf(base, SECRET, await tableOf(db, DEMO_RESTAURANT_ID, 'table_01'));
  await db.close();

  const comanda = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: { ...process.env, DATABASE_URL: databaseUrl, COMANDA_SECRET: SECRET, PORT: String(port), LOG_LEVEL: 'warn', EMAIL_WORKER: 'false', PUBLIC_URL: base },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(comanda);
  for (let waited = 0; ; waited += 100) {
    const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (waited > 30_000 || comanda.exitCode !== null) throw new Error('Comanda did not start');
    await new Promise((r) => setTimeout(r, 100));
  }

  // 1. Bytes.
  const html = await fetch(pageUrl, { headers: { 'accept-encoding': 'br' } });
  const body = await html.text();
  const assets = [...body.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  let assetBytes = 0;
  for (const asset of assets) assetBytes += await transferred(base + asset);
  const inlineCss = /<style>([\s\S]*?)<\/style>/.exec(body)?.[1] ?? '';
  assetBytes += brotliCompressSync(inlineCss).length;
  const htmlBr = await transferred(pageUrl);

  // 2. Time to usable under Slow 4G and a 4× slower CPU.
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'es-ES' });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 562.5,
      downloadThroughput: (1.6 * 1024 * 1024 * 0.9) / 8,
      uploadThroughput: (750 * 1024 * 0.9) / 8,
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await page.goto(pageUrl, { waitUntil: 'commit' });
    await page.locator('html[data-ready]').waitFor({ state: 'attached', timeout: 30_000 });
    // Usable: the menu painted (first contentful paint) and the script's handlers in place, in the
    // page's own clock from the start of navigation; then a tap must add to the cart.
    const ready = Number(await page.locator('html').getAttribute('data-ready'));
    const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN);
    await page.locator('li.dish button.add:not([disabled])').first().click();
    await page.locator('#cartbar:not([hidden])').waitFor();
    times.push(Math.round(Math.max(ready, paint)));
    if (process.env.BENCH_TRACE) console.log(`  run ${run + 1}: paint ${Math.round(paint)} ms, script ready ${ready} ms`);
    await context.close();
  }
  await browser.close();
  times.sort((a, b) => a - b);

  // 3. Page loads per second.
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon({ url: pageUrl, connections: 20, duration: SECONDS, headers: { 'accept-encoding': 'gzip, deflate, br', accept: 'text/html' } }, (err, res) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res),
    );
  });

  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const verdict = (ok: boolean) => (ok ? 'ok' : 'OVER BUDGET');
  console.log(`guest menu page (GET /t/<code>, demo restaurant: 6 categories, 40 dishes); load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
  console.log(`  JS + CSS transferred (brotli): ${kb(assetBytes)} (${assets.length} script + the inlined stylesheet)   budget 60 KB   ${verdict(assetBytes <= 60 * 1024)}`);
  console.log(`  HTML transferred (brotli):     ${kb(htmlBr)} (${kb(Buffer.byteLength(body))} uncompressed)`);
  console.log(`  usable under Slow 4G + 4x CPU: median ${times[Math.floor(times.length / 2)]} ms, max ${times.at(-1)} ms over ${RUNS} cold loads   budget 1500 ms   ${verdict(times[Math.floor(times.length / 2)]! <= 1500)}`);
  console.log(`  page loads/s (autocannon, 20 connections, ${SECONDS} s): ${Math.round(result.requests.average)}/s, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}   budget 1000/s   ${verdict(result.requests.average >= 1000)}`);
} finally {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  await cluster.stop().catch(() => undefined);
  await rm(root, { recursive: true, force: true });
}
