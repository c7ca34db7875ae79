// A configuration error: the settings given cannot work. The shells read the configuration
// (src/config.ts) and report this as one (start-up refuses to start; the CLI exits 2); the core
// throws it for settings passed to it (a thresholds file, alert channels).
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
