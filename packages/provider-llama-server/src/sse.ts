/**
 * Reads a server-sent-events body and yields each `data:` payload parsed as JSON, until
 * `[DONE]` or the end of the body. llama-server sends one JSON object per event.
 */
export async function* readSseJson(body: ReadableStream<Uint8Array>): AsyncGenerator<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        // A blank line ends an event.
        if (data.length) {
          const payload = data.join('\n');
          data = [];
          if (payload === '[DONE]') return;
          yield JSON.parse(payload) as Record<string, unknown>;
        }
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
      // Comments (":" pings) and other fields are ignored. Mid-stream failures come as
      // `data: {"error": {...}}`, which the caller checks for.
    }
  }
  // A body cut without the final blank line (or newline) still delivers its last event.
  if (buffer.startsWith('data:')) data.push(buffer.slice(5).replace(/^ /, ''));
  if (data.length && data.join('\n') !== '[DONE]') yield JSON.parse(data.join('\n')) as Record<string, unknown>;
}
