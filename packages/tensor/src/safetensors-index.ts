// Sharded checkpoints (`*.safetensors.index.json`, as written by transformers / diffusers save_pretrained:
// {"metadata": {...}, "weight_map": {"tensor name": "shard file name"}}) presented as one TensorSource, and
// openCheckpoint, which finds the weights in a file or a model folder.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { Diff2in1Error } from './errors.js';
import type { SafetensorsTensorInfo } from './safetensors-header.js';
import type { TensorSource } from './safetensors.js';
import { SafetensorsFile, assertNotPickle, nearby } from './safetensors.js';
import type { Tensor } from './tensor.js';

/** A sharded safetensors checkpoint: every shard's header is read and checked on open. */
export class SafetensorsIndex implements TensorSource {
  readonly path: string;
  /** Shard file paths, in first-use order. */
  readonly files: string[];
  private readonly where: Map<string, SafetensorsFile>;
  private readonly shards: SafetensorsFile[];
  private readonly meta: Record<string, string>;

  private constructor(path: string, where: Map<string, SafetensorsFile>, shards: SafetensorsFile[], meta: Record<string, string>) {
    this.path = path;
    this.where = where;
    this.shards = shards;
    this.files = shards.map((s) => s.path);
    this.meta = meta;
  }

  static open(indexPath: string): SafetensorsIndex {
    const fail = (msg: string): never => { throw new Diff2in1Error('safetensors', msg, { file: indexPath }); };
    let text: string;
    try {
      text = readFileSync(indexPath, 'utf8');
    } catch (e) {
      throw new Diff2in1Error('safetensors', `cannot read checkpoint index: ${(e as Error).message}`, { file: indexPath, cause: e });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      return fail(`checkpoint index is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('checkpoint index must be a JSON object with a "weight_map"');
    const wm = (json as Record<string, unknown>)['weight_map'];
    if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) return fail('"weight_map" must be an object mapping tensor names to shard file names');
    const meta: Record<string, string> = {};
    const rawMeta = (json as Record<string, unknown>)['metadata'];
    if (typeof rawMeta === 'object' && rawMeta !== null) {
      for (const [k, v] of Object.entries(rawMeta)) meta[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
    const dir = dirname(resolve(indexPath));
    const opened = new Map<string, SafetensorsFile>();
    const where = new Map<string, SafetensorsFile>();
    try {
      for (const [name, shard] of Object.entries(wm as Record<string, unknown>)) {
        if (typeof shard !== 'string' || shard === '') fail(`"weight_map"."${name}" must be a shard file name, got ${JSON.stringify(shard)}`);
        const full = resolve(dir, shard as string);
        const rel = relative(dir, full);
        if (rel.startsWith('..') || isAbsolute(rel)) fail(`"weight_map"."${name}": shard "${String(shard)}" is outside the index's folder`);
        let f = opened.get(full);
        if (!f) {
          f = SafetensorsFile.open(full);
          opened.set(full, f);
        }
        if (!f.has(name)) fail(`tensor "${name}" is mapped to ${String(shard)}, which has no such tensor`);
        where.set(name, f);
      }
    } catch (e) {
      for (const f of opened.values()) f.close();
      throw e;
    }
    return new SafetensorsIndex(indexPath, where, [...opened.values()], meta);
  }

  names(): string[] {
    return [...this.where.keys()].sort();
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  private shardOf(name: string): SafetensorsFile {
    const f = this.where.get(name);
    if (!f) throw new Diff2in1Error('safetensors', `no tensor named "${name}" in the checkpoint (${this.where.size} tensors${nearby(name, this.where.keys())})`, { file: this.path });
    return f;
  }

  info(name: string): SafetensorsTensorInfo {
    return this.shardOf(name).info(name);
  }

  get(name: string): Tensor {
    return this.shardOf(name).get(name);
  }

  getAsync(name: string): Promise<Tensor> {
    return this.shardOf(name).getAsync(name);
  }

  /** The index's "metadata" (non-string values such as total_size as JSON text). */
  metadata(): Record<string, string> {
    return { ...this.meta };
  }

  close(): void {
    for (const s of this.shards) s.close();
  }
}

/** Opens a `*.safetensors.index.json` sharded checkpoint. */
export function openSafetensorsIndex(indexJsonPath: string): SafetensorsIndex {
  return SafetensorsIndex.open(indexJsonPath);
}

export interface OpenCheckpointOptions {
  /** In a folder, prefer weights named `*.{variant}.safetensors` (diffusers variants such as 'fp16'). */
  variant?: string;
}

/**
 * Opens model weights from a `.safetensors` file, a `*.safetensors.index.json`, or a folder holding exactly
 * one of those (an index wins over its shards; without `variant`, names without a variant infix win, e.g.
 * `diffusion_pytorch_model.safetensors` over `diffusion_pytorch_model.fp16.safetensors`).
 * Pickle checkpoints (.bin, .ckpt, .pt, ...) get an error telling how to convert them.
 */
export function openCheckpoint(pathOrDir: string, opts: OpenCheckpointOptions = {}): TensorSource {
  let st;
  try {
    st = statSync(pathOrDir);
  } catch (e) {
    throw new Diff2in1Error('safetensors', `no such checkpoint file or folder: ${(e as Error).message}`, { file: pathOrDir, cause: e });
  }
  if (st.isFile()) {
    assertNotPickle(pathOrDir);
    return pathOrDir.endsWith('.index.json') ? SafetensorsIndex.open(pathOrDir) : SafetensorsFile.open(pathOrDir);
  }
  const entries = readdirSync(pathOrDir).sort();
  const v = opts.variant;
  const pick = (suffix: string): string[] => {
    const all = entries.filter((e) => e.endsWith(suffix));
    if (v !== undefined) return all.filter((e) => e.endsWith(`.${v}${suffix}`));
    const plain = all.filter((e) => !basename(e, suffix).includes('.'));
    return plain.length > 0 ? plain : all.length === 1 ? all : plain;
  };
  const indexes = pick('.safetensors.index.json');
  if (indexes.length === 1) return SafetensorsIndex.open(join(pathOrDir, indexes[0] as string));
  const files = pick('.safetensors');
  if (indexes.length === 0 && files.length === 1) return SafetensorsFile.open(join(pathOrDir, files[0] as string));
  const found = [...indexes, ...files];
  if (found.length > 1) {
    throw new Diff2in1Error('safetensors', `several weight files match (${found.join(', ')}); pass one of them${v === undefined ? ' or a variant' : ''}`, { file: pathOrDir });
  }
  const pickles = entries.filter((e) => ['.bin', '.ckpt', '.pt', '.pth'].some((x) => e.endsWith(x)));
  if (pickles.length > 0) assertNotPickle(join(pathOrDir, pickles[0] as string));
  const variantNote = v === undefined ? '' : ` with variant "${v}"`;
  throw new Diff2in1Error('safetensors', `no *.safetensors or *.safetensors.index.json${variantNote} in this folder`, { file: pathOrDir });
}
