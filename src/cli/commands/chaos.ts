// `comanda chaos SCENARIO --target URL` and `comanda chaos proxy`: a thin shell over src/core/chaos.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ChaosError, formatReport, runChaos, SCENARIOS, type ChaosOptions, type Scenario } from '../../core/chaos/index.js';
import { parseHostPort, startFaultProxy, startProxyControl } from '../../core/chaos/proxy.js';
import { CliError, resolveTarget } from '../connect.js';
import { durationFlag } from '../flags.js';
import { printJson } from '../output.js';
import { COMMAND_EXIT_CODES } from '../exit-codes.js';

const RESTART_TIMEOUT_MS = 120_000;

/** Runs the operator's restart (or kill) command, a shell line, bounded in time. */
function shellRestart(command: string): () => Promise<void> {
  return () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGTERM'), RESTART_TIMEOUT_MS);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`the command exited with ${code}: ${stderr.trim().slice(-500)}`));
      });
    });
}

/** The proxy's control API, as the scenarios use it. */
function proxyClient(url: string): NonNullable<ChaosOptions['proxy']> {
  const call = async (method: string, body?: unknown) => {
    const res = await fetch(new URL('/fault', url), {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`the fault proxy at ${url} answered ${res.status}: ${await res.text()}`);
  };
  return { inject: (fault) => call('POST', fault), heal: () => call('DELETE') };
}

async function token(file?: string): Promise<string> {
  const value = file ? (await readFile(file, 'utf8')).trim() : process.env.COMANDA_CHAOS_TOKEN?.trim();
  if (!value) {
    throw new CliError(
      'the load needs a staff token of the restaurant: put it in COMANDA_CHAOS_TOKEN or a file given with --token-file ' +
        '(create one with `comanda staff token create --role waiter`); tokens are never taken as flags, which other users can see',
      COMMAND_EXIT_CODES.usage,
    );
  }
  return value;
}

const positive = (value: string, flag: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} must be a positive number, got "${value}"`, COMMAND_EXIT_CODES.usage);
  return n;
};

export function chaosCommand(program: Command): void {
  const chaos = program
    .command('chaos')
    .description(`staging only: run an order load while injecting one fault (${SCENARIOS.join(', ')}), then check the invariants; exit 0 pass, 1 fail, 2 refused or usage error. \`chaos proxy\` runs the TCP fault proxy`)
    .argument('<scenario>', SCENARIOS.join(' | '))
    .option('--target <url>', 'base URL of the service under test, e.g. http://staging.internal:3000 (required)')
    .option('--token-file <file>', 'file holding a staff token of the restaurant (else COMANDA_CHAOS_TOKEN)')
    .option('--duration <duration>', 'how long the load runs (default 20s, at most 10m)', '20s')
    .option('--fault <duration>', 'how long the fault lasts (default 40% of --duration)')
    .option('--rate <n>', 'orders per second (default 10)', '10')
    .option('--dish <id...>', 'dishes to order (default: the three with the most stock)')
    .option('--restart-command <command>', 'db-restart: shell command that restarts the database server, e.g. "pg_ctlcluster 15 main restart"')
    .option('--kill-command <command>', 'instance-kill: shell command that kills one instance behind --target, e.g. "systemctl kill -s KILL comanda@2"')
    .option('--streams <n>', 'instance-kill: staff live streams held open through --target (default 6)', '6')
    .option('--proxy <url>', 'slow-network, network-cut: control URL of the `comanda chaos proxy` the service reaches its database through')
    .option('--latency <duration>', 'slow-network: latency added each way (default 300ms)', '300ms')
    .option('--json', 'print the report as JSON')
    .action(
      async (
        scenario: string,
        options: { target?: string; tokenFile?: string; duration: string; fault?: string; rate: string; dish?: string[]; restartCommand?: string; killCommand?: string; streams: string; proxy?: string; latency: string; json?: boolean },
      ) => {
        if (!(SCENARIOS as readonly string[]).includes(scenario)) throw new CliError(`unknown scenario "${scenario}": one of ${SCENARIOS.join(', ')}`, COMMAND_EXIT_CODES.usage);
        if (!options.target) throw new CliError('--target URL is required: the base URL of the service under test', COMMAND_EXIT_CODES.usage);
        const targetUrl = options.target;
        const durationMs = durationFlag(options.duration, '--duration', COMMAND_EXIT_CODES.usage);
        if (durationMs > 10 * 60_000) throw new CliError('--duration: at most 10m', COMMAND_EXIT_CODES.usage);
        const target = await resolveTarget();
        let report;
        try {
          report = await runChaos({
            scenario: scenario as Scenario,
            target: targetUrl,
            token: await token(options.tokenFile),
            databaseUrl: target.directUrl,
            durationMs,
            faultMs: options.fault ? durationFlag(options.fault, '--fault', COMMAND_EXIT_CODES.usage) : undefined,
            rate: positive(options.rate, '--rate'),
            dishes: options.dish,
            restart: options.restartCommand ? shellRestart(options.restartCommand) : undefined,
            kill: options.killCommand ? shellRestart(options.killCommand) : undefined,
            streams: positive(options.streams, '--streams'),
            proxy: options.proxy ? proxyClient(options.proxy) : undefined,
            latencyMs: durationFlag(options.latency, '--latency', COMMAND_EXIT_CODES.usage),
            onProgress: (m) => process.stderr.write(`${m}\n`),
          });
        } catch (err) {
          if (err instanceof ChaosError) throw new CliError(err.message, COMMAND_EXIT_CODES.usage);
          throw err;
        }
        if (options.json) printJson(report);
        else process.stdout.write(`${formatReport(report)}\n`);
        if (!report.ok) process.exitCode = 1;
      },
    );

  chaos
    .command('proxy')
    .description('run the TCP fault proxy: point the service under test at --listen instead of its database; `comanda chaos slow-network|network-cut --proxy URL` drives it')
    .requiredOption('--upstream <host:port>', 'the database server')
    .option('--listen <host:port>', 'where the service connects', '127.0.0.1:6544')
    .option('--control <host:port>', 'the control API (loopback: it is not authenticated)', '127.0.0.1:6545')
    .action(async (options: { upstream: string; listen: string; control: string }) => {
      const parse = (value: string, flag: string) => {
        try {
          return parseHostPort(value, flag);
        } catch (err) {
          throw new CliError((err as Error).message, COMMAND_EXIT_CODES.usage);
        }
      };
      const upstream = parse(options.upstream, '--upstream');
      const listen = parse(options.listen, '--listen');
      const control = parse(options.control, '--control');
      const proxy = await startFaultProxy({ listenHost: listen.host, listenPort: listen.port, upstreamHost: upstream.host, upstreamPort: upstream.port });
      const api = await startProxyControl(proxy, control.port, control.host);
      process.stderr.write(`fault proxy: ${proxy.host}:${proxy.port} → ${upstream.host}:${upstream.port}; control ${api.url} (Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await api.close();
      await proxy.close();
    });
}
