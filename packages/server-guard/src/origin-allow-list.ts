/**
 * Origins a browser page may call heylook from. Like Ollama's OLLAMA_ORIGINS, configured
 * origins are added to these defaults: local pages on any port and desktop app schemes.
 */
export const defaultOrigins: readonly string[] = [
  ...['localhost', '127.0.0.1', '0.0.0.0', '[::1]'].flatMap((host) => [
    `http://${host}`,
    `https://${host}`,
    `http://${host}:*`,
    `https://${host}:*`,
  ]),
  'app://*',
  'file://*',
  'tauri://*',
  'vscode-webview://*',
  'vscode-file://*',
];

/** Matches `Origin` headers against patterns where `*` stands for any run of characters. */
export class OriginAllowList {
  readonly #any: boolean;
  readonly #patterns: RegExp[];

  constructor(extraOrigins: readonly string[] = []) {
    const patterns = [...defaultOrigins, ...extraOrigins.map((origin) => origin.trim()).filter(Boolean)];
    this.#any = patterns.includes('*');
    this.#patterns = patterns.map(
      (pattern) => new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 'i'),
    );
  }

  allows(origin: string): boolean {
    return this.#any || this.#patterns.some((pattern) => pattern.test(origin));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
