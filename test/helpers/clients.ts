// Raw connections a test opens to create conditions for real (an idle transaction, a lock, a
// long query), all closed after the file's tests. Errors from connections a test terminates on
// purpose are expected and ignored.
import pg from 'pg';
import { afterAll } from 'vitest';

export interface ClientOptions {
  applicationName?: string;
}

/** `client(url?)` opens a connection (to `defaultUrl` unless given); all are closed after the file. */
export function useClients(defaultUrl?: string): (url?: string, options?: ClientOptions) => Promise<pg.Client> {
  const clients: pg.Client[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  });
  return async (url = defaultUrl, options = {}) => {
    if (!url) throw new Error('useClients: no connection string');
    const c = new pg.Client({ connectionString: url, application_name: options.applicationName });
    await c.connect();
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
}

export const pidOf = async (c: pg.Client): Promise<number> => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
