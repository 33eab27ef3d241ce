/** One server-sent event: `event` defaults to "message", `data` lines are joined with "\n". */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * An incremental parser for `text/event-stream` (the WHATWG rules that matter here): lines end
 * in LF, CRLF or CR (also when a CRLF is split across chunks), `:` starts a comment, a blank
 * line dispatches the event, and one space after the field's colon is dropped.
 */
export class SseParser {
  #buffer = '';
  /** The last chunk ended in CR, so an LF at the start of the next one belongs to it. */
  #pendingCr = false;
  #data: string[] = [];
  #event = '';
  #id: string | undefined;

  /** Feeds decoded text; returns the events it completed. */
  push(text: string): SseEvent[] {
    if (this.#pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.#pendingCr = false;
    this.#buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let index = 0; index < this.#buffer.length; index++) {
      const char = this.#buffer[index];
      if (char !== '\n' && char !== '\r') continue;
      this.#line(this.#buffer.slice(start, index), events);
      if (char === '\r') {
        if (index + 1 === this.#buffer.length) this.#pendingCr = true;
        else if (this.#buffer[index + 1] === '\n') index++;
      }
      start = index + 1;
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /** The stream ended: an event without its closing blank line is dropped, as browsers do. */
  end(): void {
    this.#buffer = '';
    this.#data = [];
    this.#event = '';
  }

  #line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.#data.length > 0) {
        events.push({ event: this.#event || 'message', data: this.#data.join('\n'), ...(this.#id === undefined ? {} : { id: this.#id }) });
      }
      this.#data = [];
      this.#event = '';
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
    else if (field === 'event') this.#event = value;
    else if (field === 'id' && !value.includes('\0')) this.#id = value;
  }
}

/** Reads a response body as server-sent events. */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  for await (const chunk of body) yield* parser.push(decoder.decode(chunk, { stream: true }));
  yield* parser.push(decoder.decode());
  parser.end();
}
