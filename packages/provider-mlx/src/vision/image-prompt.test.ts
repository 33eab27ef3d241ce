import { describe, expect, it } from 'vitest';
import type { VisionDescription } from '../mlx-vision-config.js';
import { expandImagePlaceholders, imageSpans, reuseKeys } from './image-prompt.js';

const names: Record<number, string> = { 7: '<image>', 8: '<start_of_image>', 9: '<image_soft_token>', 10: '<end_of_image>' };
const tokenText = (id: number) => names[id];
const llava: VisionDescription = { family: 'llava', imageTokenId: 7, tokensPerImage: 3 };
const gemma3: VisionDescription = { family: 'gemma3', imageTokenId: 9, tokensPerImage: 2, boiTokenId: 8, eoiTokenId: 10 };

describe('image placeholders', () => {
  it('repeats LLaVA\'s <image> once per feature row', () => {
    expect(expandImagePlaceholders('USER: <image>\nWhat is this? <image> ASSISTANT:', llava, tokenText)).toBe(
      'USER: <image><image><image>\nWhat is this? <image><image><image> ASSISTANT:',
    );
  });

  it('wraps Gemma 3\'s soft tokens in blank lines and the image markers, as its processor does', () => {
    expect(expandImagePlaceholders('<start_of_turn>user\n<start_of_image>Describe.', gemma3, tokenText)).toBe(
      '<start_of_turn>user\n\n\n<start_of_image><image_soft_token><image_soft_token><end_of_image>\n\nDescribe.',
    );
  });

  it('finds one span per image, also when two images are adjacent, keyed by content', () => {
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4, 5, 6]);
    const spans = imageSpans([1, 7, 7, 7, 7, 7, 7, 5, 7, 7, 7], llava, [a, b, a]);
    expect(spans.map(({ start, length }) => [start, length])).toEqual([
      [1, 3],
      [4, 3],
      [8, 3],
    ]);
    expect(spans[0]!.key).toBe(spans[2]!.key);
    expect(spans[0]!.key).not.toBe(spans[1]!.key);
  });

  it('refuses a prompt whose placeholders do not match the images with a coded 400', () => {
    expect(() => imageSpans([1, 7, 7, 7, 2], llava, [])).toThrow(expect.objectContaining({ code: 'HEYLOOK_INVALID_REQUEST', param: 'messages' }));
    expect(() => imageSpans([1, 7, 7, 2], llava, [new Uint8Array([1])])).toThrow(expect.objectContaining({ code: 'HEYLOOK_INVALID_REQUEST' }));
  });

  it('gives image rows reuse keys that differ by picture and never collide with token ids', () => {
    const ids = [1, 7, 7, 7, 5];
    const first = reuseKeys(ids, imageSpans(ids, llava, [new Uint8Array([1])]));
    const same = reuseKeys(ids, imageSpans(ids, llava, [new Uint8Array([1])]));
    const other = reuseKeys(ids, imageSpans(ids, llava, [new Uint8Array([2])]));
    expect(first).toEqual(same);
    expect(first[0]).toBe(1);
    expect(first[4]).toBe(5);
    expect(first.slice(1, 4).every((key) => key < 0)).toBe(true);
    expect(new Set(first.slice(1, 4)).size).toBe(3);
    expect(other.slice(1, 4)).not.toEqual(first.slice(1, 4));
  });
});
