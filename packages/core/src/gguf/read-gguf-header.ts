import { open, stat, type FileHandle } from 'node:fs/promises';
import { errorCodes, HeylookError } from '../errors/heylook-error.js';

/**
 * GGUF header reading shared by the GGUF providers (provider-gguf, provider-llama-server):
 * the magic check, and a small reader for the metadata and tensor list that needs no
 * native code. Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
 */

export interface GgufTensorInfo {
  name: string;
  dimensions: number[];
  /** ggml_type id. */
  type: number;
  offset: number;
}

export interface GgufHeader {
  version: number;
  /** Metadata keyed as in the file (`llama.context_length`). Arrays longer than `maxArrayLength` are null. */
  metadata: Record<string, unknown>;
  /** Lengths of every array value, including the ones left out of `metadata`. */
  arrayLengths: Record<string, number>;
  tensors: GgufTensorInfo[];
}

/** True when `file` is a readable file that starts with the GGUF magic. */
export async function hasGgufMagic(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'r');
    try {
      const magic = Buffer.alloc(4);
      await handle.read(magic, 0, 4, 0);
      return magic.toString('latin1') === 'GGUF';
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
}

/**
 * How many tensors a GGUF file holds, read from its first 24 bytes (magic, version, tensor
 * count), or undefined when it is not a GGUF file. Vocab-only files (llama.cpp's
 * `ggml-vocab-*.gguf`, used for tokenizer tests) hold 0: nothing a server can load.
 */
export async function ggufTensorCount(file: string): Promise<number | undefined> {
  try {
    const handle = await open(file, 'r');
    try {
      const head = Buffer.alloc(24);
      const { bytesRead } = await handle.read(head, 0, 24, 0);
      if (bytesRead < 24 || head.toString('latin1', 0, 4) !== 'GGUF') return undefined;
      return Number(head.readBigUInt64LE(8));
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * Checks a model file before a runtime sees it, so a bad path is a coded error, not a crash.
 * Returns its size. `param` names the config key in the errors.
 */
export async function assertGgufFile(file: string, param = 'model_path'): Promise<number> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    size = info.size;
  } catch (error) {
    throw new HeylookError(
      errorCodes.modelFileNotFound,
      `GGUF file not found: ${file}. Fix ${param} (relative paths resolve against the models.yaml folder).`,
      { cause: error, param },
    );
  }
  if (!(await hasGgufMagic(file))) {
    throw new HeylookError(
      errorCodes.invalidModelFile,
      `${file} is not a GGUF file (it does not start with "GGUF"). Point ${param} at a .gguf model, or use the provider for this format.`,
      { param },
    );
  }
  return size;
}

/** Reads the metadata and tensor list of a GGUF file (v2/v3); a corrupt header is HEYLOOK_INVALID_MODEL_FILE. */
export async function readGgufHeader(file: string, options: { maxArrayLength?: number; param?: string } = {}): Promise<GgufHeader> {
  const param = options.param ?? 'model_path';
  await assertGgufFile(file, param);
  const handle = await open(file, 'r');
  try {
    return await parse(new Reader(handle), options.maxArrayLength ?? 64);
  } catch (error) {
    throw new HeylookError(
      errorCodes.invalidModelFile,
      `${file} is not a readable GGUF file (${error instanceof Error ? error.message : String(error)}); it may be truncated or corrupt.`,
      { cause: error, param },
    );
  } finally {
    await handle.close();
  }
}

async function parse(reader: Reader, maxArrayLength: number): Promise<GgufHeader> {
  await reader.need(24);
  reader.skip(4); // magic, checked before
  const version = reader.u32();
  if (version < 2 || version > 3) throw new Error(`unsupported GGUF version ${version}`);
  const tensorCount = reader.u64();
  const kvCount = reader.u64();
  const metadata: Record<string, unknown> = {};
  const arrayLengths: Record<string, number> = {};
  for (let i = 0; i < kvCount; i++) {
    const key = await reader.string();
    await reader.need(4);
    const type = reader.u32();
    if (type === ARRAY) {
      await reader.need(12);
      const itemType = reader.u32();
      const length = reader.u64();
      arrayLengths[key] = length;
      const items: unknown[] = [];
      for (let j = 0; j < length; j++) {
        const item = await readValue(reader, itemType);
        if (length <= maxArrayLength) items.push(item);
      }
      metadata[key] = length <= maxArrayLength ? items : null;
    } else {
      metadata[key] = await readValue(reader, type);
    }
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = await reader.string();
    await reader.need(4);
    const dimensionCount = reader.u32();
    if (dimensionCount > 8) throw new Error(`tensor ${name} has ${dimensionCount} dimensions`);
    await reader.need(dimensionCount * 8 + 12);
    const dimensions = Array.from({ length: dimensionCount }, () => reader.u64());
    tensors.push({ name, dimensions, type: reader.u32(), offset: reader.u64() });
  }
  return { version, metadata, arrayLengths, tensors };
}

const ARRAY = 9;
/** Byte sizes of the fixed-size value types, by GGUF type id. */
const fixedSizes: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

async function readValue(reader: Reader, type: number): Promise<unknown> {
  if (type === 8) return reader.string();
  const size = fixedSizes[type];
  if (size === undefined) throw new Error(`unknown metadata value type ${type}`);
  await reader.need(size);
  switch (type) {
    case 0:
      return reader.view.getUint8(reader.take(1));
    case 1:
      return reader.view.getInt8(reader.take(1));
    case 2:
      return reader.view.getUint16(reader.take(2), true);
    case 3:
      return reader.view.getInt16(reader.take(2), true);
    case 4:
      return reader.u32();
    case 5:
      return reader.view.getInt32(reader.take(4), true);
    case 6:
      return reader.view.getFloat32(reader.take(4), true);
    case 7:
      return reader.view.getUint8(reader.take(1)) !== 0;
    case 10:
      return reader.u64();
    case 11:
      return Number(reader.view.getBigInt64(reader.take(8), true));
    default:
      return reader.view.getFloat64(reader.take(8), true);
  }
}

/** Sequential little-endian reads over a file, loading it in chunks (headers with vocabularies run to megabytes). */
class Reader {
  #buffer = Buffer.alloc(0);
  #position = 0;
  #filePosition = 0;
  view = new DataView(this.#buffer.buffer);

  constructor(private readonly handle: FileHandle) {}

  /** Makes sure `bytes` more bytes are buffered. */
  async need(bytes: number): Promise<void> {
    const available = this.#buffer.length - this.#position;
    if (available >= bytes) return;
    const chunk = Buffer.alloc(Math.max(bytes - available, 1 << 20));
    const { bytesRead } = await this.handle.read(chunk, 0, chunk.length, this.#filePosition);
    if (available + bytesRead < bytes) throw new Error('unexpected end of file in the header');
    this.#filePosition += bytesRead;
    this.#buffer = Buffer.concat([this.#buffer.subarray(this.#position), chunk.subarray(0, bytesRead)]);
    this.#position = 0;
    this.view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.length);
  }

  /** Advances by `bytes` and returns the offset they start at. */
  take(bytes: number): number {
    const at = this.#position;
    this.#position += bytes;
    return at;
  }

  skip(bytes: number): void {
    this.#position += bytes;
  }

  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }

  u64(): number {
    const value = this.view.getBigUint64(this.take(8), true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('a 64-bit value does not fit a JS number');
    return Number(value);
  }

  async string(): Promise<string> {
    await this.need(8);
    const length = this.u64();
    if (length > 1 << 28) throw new Error(`string of ${length} bytes in the header`);
    await this.need(length);
    const at = this.take(length);
    return this.#buffer.toString('utf8', at, at + length);
  }
}
