/** What a nats-server command line enables: JetStream, and the client and monitoring ports. */
export interface NatsFlags {
  jetstream: boolean;
  clientPort: number;
  monitorPort: number | undefined;
  /** The config file (`-c`/`--config`), if any. */
  config: string | undefined;
}

/** Reads nats-server's flags (`-js`/`--jetstream`, `-p`/`--port`, `-m`/`--http_port`, with `=` or a separate value). */
export function natsFlags(args: string[]): NatsFlags {
  const value = (names: string[]): string | undefined => {
    for (let i = 0; i < args.length; i++) {
      for (const n of names) {
        if (args[i] === n) return args[i + 1];
        if (args[i].startsWith(`${n}=`)) return args[i].slice(n.length + 1);
      }
    }
    return undefined;
  };
  const monitor = value(['-m', '--http_port', '-http_port']);
  return {
    jetstream: args.some((a) => a === '-js' || a === '--jetstream' || a === '-jetstream'),
    clientPort: Number(value(['-p', '--port', '-port']) ?? 4222),
    monitorPort: monitor === undefined ? undefined : Number(monitor),
    config: value(['-c', '--config', '-config']),
  };
}

/** A command given as one string or a list, as tokens. */
export function tokens(command: unknown): string[] {
  if (typeof command === 'string') return command.split(/\s+/).filter((t) => t !== '');
  if (Array.isArray(command)) return command.map((t) => String(t));
  return [];
}
