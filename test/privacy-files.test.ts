// Issue 11, item 8: everything under COMANDA_DATA_DIR is its owner's only: the outbox (guests'
// addresses and live link tokens), postgres.log (rows PostgreSQL refused), secrets, backups.
import { mkdtemp, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileTransport } from '../src/core/email/outbox.js';
import { dataPaths, ensureDataDir, loadOrCreateSecret, secureDataDir } from '../src/embedded/data-dir.js';

const root = await mkdtemp(path.join(os.tmpdir(), 'comanda-files-'));
afterAll(() => rm(root, { recursive: true, force: true }));
const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

describe('owner-only files (item 8)', () => {
  it('the data directory, its secret and the outbox (directory and .eml files) are the owner\'s only, whatever the umask', async () => {
    const previous = process.umask(0o022);
    try {
      const dir = path.join(root, 'fresh');
      await ensureDataDir(dir);
      expect(await modeOf(dir)).toBe(process.getuid?.() === 0 ? 0o711 : 0o700);
      await loadOrCreateSecret(dir);
      expect(await modeOf(dataPaths(dir).secret)).toBe(0o600);
      const outbox = path.join(dir, 'outbox');
      const transport = fileTransport(outbox);
      await transport.send({ from: 'Comanda <no-reply@localhost>', to: 'guest@example.com', subject: 'Hola', text: 'link cmd_res_x', messageId: '<m1@comanda>' });
      transport.close();
      expect(await modeOf(outbox)).toBe(0o700);
      const files = await readdir(outbox);
      expect(files).toHaveLength(1);
      expect(await modeOf(path.join(outbox, files[0]!))).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('secureDataDir fixes what an older version left readable (postgres.log 0644, outbox 0755 with 0644 files, backups), and leaves the cluster alone', async () => {
    const dir = path.join(root, 'old');
    await mkdir(path.join(dir, 'outbox'), { recursive: true, mode: 0o755 });
    await mkdir(path.join(dir, 'backups', 'nested'), { recursive: true, mode: 0o755 });
    await mkdir(dataPaths(dir).cluster, { mode: 0o700 });
    await writeFile(dataPaths(dir).postgresLog, 'ERROR: Failing row contains (…)\n', { mode: 0o644 });
    await writeFile(path.join(dir, 'outbox', 'a.eml'), 'To: guest@example.com\n', { mode: 0o644 });
    await writeFile(path.join(dir, 'backups', 'nested', 'x.dump'), 'data', { mode: 0o664 });
    await writeFile(path.join(dataPaths(dir).cluster, 'PG_VERSION'), '15\n', { mode: 0o644 });
    const { chmod } = await import('node:fs/promises');
    await chmod(dir, 0o755);
    await chmod(path.join(dir, 'outbox'), 0o755);
    await chmod(dataPaths(dir).postgresLog, 0o644);

    await secureDataDir(dir);
    expect(await modeOf(dir)).toBe(process.getuid?.() === 0 ? 0o711 : 0o700);
    expect(await modeOf(dataPaths(dir).postgresLog)).toBe(0o600);
    expect(await modeOf(path.join(dir, 'outbox'))).toBe(0o700);
    expect(await modeOf(path.join(dir, 'outbox', 'a.eml'))).toBe(0o600);
    expect(await modeOf(path.join(dir, 'backups'))).toBe(0o700);
    expect(await modeOf(path.join(dir, 'backups', 'nested'))).toBe(0o700);
    expect(await modeOf(path.join(dir, 'backups', 'nested', 'x.dump'))).toBe(0o600);
    // PostgreSQL's own files are its business.
    expect(await modeOf(path.join(dataPaths(dir).cluster, 'PG_VERSION'))).toBe(0o644);
  });
});
