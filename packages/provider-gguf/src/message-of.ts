/** An error's message, for wrapping it in a coded error. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
