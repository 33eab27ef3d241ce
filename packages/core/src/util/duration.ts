/**
 * Keep-alive durations with Ollama's semantics: a number is seconds, a string is a Go-style
 * duration ("5m", "1h30m", "300ms", "10s"); 0 means unload now; any negative value pins
 * the model. Returns milliseconds, `Infinity` for pinned, or undefined for unparseable.
 */
export function parseKeepAlive(value: string | number): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    return value < 0 ? Infinity : value * 1000;
  }
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return parseKeepAlive(Number(text));
  if (text.startsWith('-')) return /^-(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/.test(text) ? Infinity : undefined;
  const unitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 1e-6 };
  const part = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/y;
  let total = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (!match) return undefined;
    total += Number(match[1]) * (unitMs[match[2]!] ?? 0);
    index = part.lastIndex;
  }
  return index === 0 ? undefined : total;
}

/** "16GB", "512 MiB", 1e9 → bytes. Decimal and binary units; undefined when unparseable. */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$/i.exec(value);
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase().replace(/b$/, '');
  const scale: Record<string, number> = {
    '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, ki: 1024, mi: 1024 ** 2, gi: 1024 ** 3, ti: 1024 ** 4,
  };
  const factor = scale[unit];
  return factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
}
