// NYU Depth v2 labelled set (nyu_depth_v2_labeled.mat, MATLAB v7.3 = HDF5 behind a 512-byte MATLAB header)
// → the folder format. Read with h5wasm (the HDF5 C library compiled to WebAssembly).
//
// MATLAB stores arrays column-major, and HDF5 shows them with the dimensions reversed (h5py: images
// (1449, 3, 640, 480)), so for image n the HDF5 element [n, c, x, y] is the pixel at row y, column x:
//   images  [N, 3, W, H] uint8      RGB
//   depths  [N, W, H]    float      metres (in-painted; 0 would be invalid)
//   labels  [N, W, H]    uint16     0 = unlabelled, 1..894 = class (names[k−1])
//   names   [1, 894]     references to uint16 char arrays (the class names)
// (Silberman et al. 2012; dataset page "Labeled dataset" field list; shapes as h5py reports them, e.g. cleinc/bts
// utils/extract_official_train_test_set_from_mat.py reads images[i].T and depths[i].T.)
// Optional inputs: splits.mat (trainNdxs / testNdxs, 1-based; the official 795 / 654 split) and Gupta et al.'s
// classMapping40.mat (mapClass: 894 → 1..40, className) for NYU-40 labels. Without the mapping, semseg/ holds the
// raw labels as 16-bit ids 0..893 (raw − 1) with ignore 65535, and classes.json the 894 names.
// Ids are 6-digit 0-based indices (000000 = the first image), as in Bae et al.'s release.
import { open } from 'node:fs/promises';
import h5wasm from 'h5wasm/node';
import type { Dataset as H5Dataset, File as H5File } from 'h5wasm/node';
import { Tensor } from '@diff2in1/tensor';
import { readMat5 } from './formats/mat5.js';
import type { MatValue } from './formats/mat5.js';
import { FolderWriter } from './readers/folder.js';
import { NYU40_NAMES } from './readers/nyudmt.js';
import type { Sample } from './sample.js';
import { datasetError } from './sample.js';

export interface ConvertNyuv2Options {
  /** nyu_depth_v2_labeled.mat */
  mat: string;
  /** Output root (folder format). */
  out: string;
  /** splits.mat with trainNdxs / testNdxs (1-based). Without it every image goes to splits/all.txt. */
  splits?: string;
  /** classMapping40.mat (mapClass, className) for NYU-40 labels. */
  classMapping40?: string;
  /** 0-based image indices to convert (default: all). */
  indices?: readonly number[];
  onProgress?: (done: number, total: number) => void;
}

export interface ConvertNyuv2Result {
  written: number;
  labels: 'nyu40' | 'raw894';
  splits: Record<string, number>;
}

function column(v: MatValue | undefined, what: string, file: string): number[] {
  if (v === undefined || v.kind !== 'numeric') throw datasetError(`${what} must be a numeric array`, file);
  return Array.from(v.data);
}

function need(f: H5File, name: string, rank: number, file: string): H5Dataset {
  const d = f.get(name);
  if (!d || !('shape' in d) || !Array.isArray(d.shape) || d.shape.length !== rank) {
    throw datasetError(`expected a ${rank}-D dataset '${name}' (the NYUv2 labelled .mat has images, depths, labels, names); found: ${f.keys().join(', ')}`, file);
  }
  return d as H5Dataset;
}

function readNames(f: H5File): string[] | undefined {
  try {
    const d = f.get('names') as H5Dataset | null;
    const refs = d?.value;
    if (!Array.isArray(refs)) return undefined;
    return refs.map((r) => {
      const target = f.dereference(r as Parameters<H5File['dereference']>[0]) as unknown as H5Dataset | null;
      const chars = target?.value;
      if (!(chars instanceof Uint16Array || chars instanceof Uint8Array)) throw new Error('not a char array');
      return String.fromCharCode(...chars);
    });
  } catch {
    return undefined;
  }
}

/**
 * HDF5 files start with the signature \x89HDF\r\n\x1a\n at offset 0, 512, 1024, ... (a user block — MATLAB's
 * 512-byte text header — may precede it). Checked first, because the HDF5 library reports junk only on stderr.
 */
async function checkHdf5Signature(path: string): Promise<void> {
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw datasetError(`cannot open: ${(e as Error).message}`, path, e);
  }
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      await fh.read(buf, 0, 8, at);
      if (sig.every((b, i) => buf[i] === b)) return;
    }
  } finally {
    await fh.close();
  }
  throw datasetError('cannot open as HDF5 (MATLAB v7.3): no HDF5 signature found; is this nyu_depth_v2_labeled.mat?', path);
}

/**
 * One image of the .mat in HDF5's [x][y] (column-major MATLAB) order → a sample in row-major [C, H, W]: RGB / 255,
 * depth (metres; ≤ 0 or non-finite invalid) and class ids (`classOf(raw)` for labels 1..; −1 or raw 0 → ignore).
 */
function transposeImage(px: Uint8Array, dp: Float32Array | Float64Array, lb: Uint16Array, W: number, H: number, classOf: (raw: number) => number, ignore: number): Omit<Sample, 'id'> {
  const hw = H * W;
  const image = new Tensor('float32', [3, H, W]);
  const depth = new Tensor('float32', [1, H, W]);
  const dvalid = new Tensor('bool', [H, W]);
  const ids = new Tensor('int32', [H, W]);
  const svalid = new Tensor('bool', [H, W]);
  for (let x = 0; x < W; x++) {
    for (let y = 0; y < H; y++) {
      const src = x * H + y; // HDF5 [x][y] within one image / channel
      const p = y * W + x;
      for (let ch = 0; ch < 3; ch++) image.data[ch * hw + p] = (px[ch * hw + src] as number) / 255;
      const d = dp[src] as number;
      const ok = Number.isFinite(d) && d > 0;
      depth.data[p] = ok ? d : 0;
      dvalid.data[p] = ok ? 1 : 0;
      const raw = lb[src] as number;
      const id = raw > 0 ? classOf(raw) : -1;
      ids.data[p] = id >= 0 ? id : ignore;
      svalid.data[p] = id >= 0 ? 1 : 0;
    }
  }
  return { image, labels: { depth: { value: depth, valid: dvalid }, semseg: { value: ids, valid: svalid } } };
}

/** Converts the labelled NYUv2 .mat to the folder format (see the file comment). */
export async function convertNyuv2Mat(opts: ConvertNyuv2Options): Promise<ConvertNyuv2Result> {
  await checkHdf5Signature(opts.mat);
  await h5wasm.ready;
  let f: H5File;
  try {
    f = new h5wasm.File(opts.mat, 'r');
  } catch (e) {
    throw datasetError(`cannot open as HDF5 (MATLAB v7.3): ${(e as Error).message}`, opts.mat, e);
  }
  try {
    const images = need(f, 'images', 4, opts.mat);
    const depths = need(f, 'depths', 3, opts.mat);
    const labels = need(f, 'labels', 3, opts.mat);
    const [n, c, W, H] = images.shape as [number, number, number, number];
    if (c !== 3) throw datasetError(`'images' must be [N, 3, W, H], got [${(images.shape as number[]).join(', ')}]`, opts.mat);
    for (const [name, d] of [['depths', depths], ['labels', labels]] as const) {
      const s = d.shape as number[];
      if (s[0] !== n || s[1] !== W || s[2] !== H) throw datasetError(`'${name}' is [${s.join(', ')}] but 'images' is [${n}, 3, ${W}, ${H}]`, opts.mat);
    }
    const rawNames = readNames(f);
    let mapClass: number[] | undefined;
    let names: string[];
    if (opts.classMapping40 !== undefined) {
      const m = await readMat5(opts.classMapping40);
      mapClass = column(m.mapClass, "'mapClass'", opts.classMapping40);
      const cn = m.className;
      names = cn?.kind === 'cell' && cn.cells.every((x) => x.kind === 'char') ? cn.cells.map((x) => (x.kind === 'char' ? x.text : '')) : [...NYU40_NAMES];
    } else {
      names = rawNames ?? [];
    }
    const split = new Map<number, string>();
    if (opts.splits !== undefined) {
      const s = await readMat5(opts.splits);
      for (const [key, nameOf] of [['trainNdxs', 'train'], ['testNdxs', 'test']] as const) {
        for (const k of column(s[key], `'${key}'`, opts.splits)) {
          if (!Number.isInteger(k) || k < 1 || k > n) throw datasetError(`'${key}' holds ${k}, outside 1..${n}`, opts.splits);
          split.set(k - 1, nameOf);
        }
      }
    }
    const indices = opts.indices ?? Array.from({ length: n }, (_, i) => i);
    const maxRaw = mapClass?.length ?? (rawNames?.length ?? 65534);
    const writer = new FolderWriter(opts.out, {
      semseg: mapClass ? { names, ignoreIndex: 255 } : { names: rawNames ?? Array.from({ length: maxRaw }, (_, i) => `class ${i + 1}`), ignoreIndex: 65535 },
    });
    const counts: Record<string, number> = {};
    let done = 0;
    for (const i of indices) {
      if (!Number.isInteger(i) || i < 0 || i >= n) throw datasetError(`image index ${i} outside 0..${n - 1}`, opts.mat);
      const classOf = (raw: number): number => {
        if (raw > maxRaw) throw datasetError(`image ${i}: label ${raw} exceeds the ${maxRaw} classes`, opts.mat);
        if (!mapClass) return raw - 1;
        const id = (mapClass[raw - 1] as number) - 1;
        return id >= 0 && id < names.length ? id : -1;
      };
      const sample = transposeImage(
        images.slice([[i, i + 1], [], [], []]) as Uint8Array,
        depths.slice([[i, i + 1], [], []]) as Float32Array | Float64Array,
        labels.slice([[i, i + 1], [], []]) as Uint16Array,
        W, H, classOf, mapClass ? 255 : 65535,
      );
      const name = split.get(i) ?? (opts.splits === undefined ? 'all' : undefined);
      if (name === undefined) continue; // in neither official split
      await writer.write({ id: String(i).padStart(6, '0'), ...sample }, name);
      counts[name] = (counts[name] ?? 0) + 1;
      done++;
      opts.onProgress?.(done, indices.length);
    }
    await writer.finish();
    return { written: done, labels: mapClass ? 'nyu40' : 'raw894', splits: counts };
  } finally {
    f.close();
  }
}
