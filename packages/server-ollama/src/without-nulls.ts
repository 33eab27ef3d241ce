/**
 * Ollama (Go) treats a JSON `null` as "not set". Clients rely on it: langchain-ollama sends
 * every option, unset ones as null. So nulls are dropped from the body, its `options` and
 * its messages before validation. JSON schemas (`format`, tool parameters) are left alone:
 * there `null` is a value (`"const": null`).
 */
export function withoutNulls(body: unknown): unknown {
  if (!isObject(body)) return body;
  const result = dropNulls(body);
  if (isObject(result.options)) result.options = dropNulls(result.options);
  if (Array.isArray(result.messages)) result.messages = result.messages.map((message) => (isObject(message) ? dropNulls(message) : message));
  return result;
}

function dropNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== null));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
