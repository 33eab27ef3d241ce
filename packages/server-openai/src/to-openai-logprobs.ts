import type { TokenLogprob } from '@heylook/core';

const bytesOf = (entry: { token: string; bytes?: number[] }) => entry.bytes ?? [...Buffer.from(entry.token, 'utf8')];

/** Chat Completions `choices[].logprobs`: `{ content: [...], refusal: null }`, or null when none were asked for. */
export function toChatLogprobs(logprobs: TokenLogprob[] | undefined) {
  if (!logprobs) return null;
  return {
    content: logprobs.map((entry) => ({
      token: entry.token,
      logprob: entry.logprob,
      bytes: bytesOf(entry),
      top_logprobs: (entry.topLogprobs ?? []).map((alt) => ({ token: alt.token, logprob: alt.logprob, bytes: bytesOf(alt) })),
    })),
    refusal: null,
  };
}

/**
 * Legacy Completions `choices[].logprobs`: parallel arrays, alternatives as `{ token: logprob }`
 * maps, and each token's character offset in the text, counted from `offset`.
 */
export function toLegacyLogprobs(logprobs: TokenLogprob[] | undefined, offset = 0) {
  if (!logprobs) return null;
  const textOffset: number[] = [];
  let at = offset;
  for (const entry of logprobs) {
    textOffset.push(at);
    at += entry.token.length;
  }
  return {
    tokens: logprobs.map((entry) => entry.token),
    token_logprobs: logprobs.map((entry) => entry.logprob),
    top_logprobs: logprobs.map((entry) => Object.fromEntries((entry.topLogprobs ?? []).map((alt) => [alt.token, alt.logprob]))),
    text_offset: textOffset,
  };
}
