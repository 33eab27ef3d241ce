/** An error the CLI reports as one line and a non-zero exit, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** yargs `coerce` for a TCP port flag: "abc" gets a clear error instead of NaN. */
export function parsePortFlag(value: unknown): number {
  const port = Number(value);
  if (value === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CliError(`--port must be a whole number from 0 to 65535, not "${String(value)}".`, 2);
  }
  return port;
}
