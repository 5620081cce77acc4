// Image grids for the report: a stage that writes pictures also writes samples/<name>/grid.json describing a
// table of them, with image paths relative to the run directory, e.g. for evaluation
//   { "title": "Test predictions — normals", "columns": ["input", "ground truth", "warm-up θW", "Diff-2-in-1 θC"],
//     "rows": [ { "label": "0003", "images": ["samples/eval/0003-input.png", ...] } ] }
// and for synthesis: columns ["real", "synthetic RGB", "θC label"]. A null cell is shown empty.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { Diff2in1Error, writeFileAtomicSync } from '@diff2in1/tensor';

const gridSchema = z.strictObject({
  title: z.string(),
  columns: z.array(z.string()).min(1),
  rows: z.array(z.strictObject({
    label: z.string(),
    caption: z.string().optional(),
    images: z.array(z.string().nullable()),
  })),
  /** Order among grids in the report (lower first). */
  order: z.number().optional(),
});

export type GridManifest = z.infer<typeof gridSchema>;

function check(g: GridManifest, where: string): void {
  g.rows.forEach((r, i) => {
    if (r.images.length !== g.columns.length) {
      throw new Diff2in1Error('grid', `rows[${i}] has ${r.images.length} images for ${g.columns.length} columns (${g.columns.join(', ')})`, { file: where });
    }
    for (const img of r.images) {
      if (img !== null && (img.startsWith('/') || img.split('/').includes('..'))) {
        throw new Diff2in1Error('grid', `rows[${i}]: image path "${img}" must be relative to the run directory and stay inside it`, { file: where });
      }
    }
  });
}

/** Writes samples/<name>/grid.json (atomic) after checking shape and paths; returns its path. */
export function writeGrid(runDir: string, name: string, grid: GridManifest): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Diff2in1Error('grid', `grid name "${name}" must be a plain folder name`);
  const p = join(runDir, 'samples', name, 'grid.json');
  const g = gridSchema.parse(grid);
  check(g, p);
  for (const r of g.rows) for (const img of r.images) {
    if (img !== null && !existsSync(join(runDir, img))) throw new Diff2in1Error('grid', `image ${img} does not exist`, { file: p });
  }
  writeFileAtomicSync(p, `${JSON.stringify(g, null, 2)}\n`);
  return p;
}

/** Every samples/<name>/grid.json, sorted by order then name. Bad manifests are reported through onError. */
export function readGrids(runDir: string, onError?: (file: string, message: string) => void): { name: string; grid: GridManifest }[] {
  const dir = join(runDir, 'samples');
  if (!existsSync(dir)) return [];
  const out: { name: string; grid: GridManifest }[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name, 'grid.json');
    if (!existsSync(p)) continue;
    try {
      const g = gridSchema.parse(JSON.parse(readFileSync(p, 'utf8')));
      check(g, p);
      out.push({ name, grid: g });
    } catch (e) {
      onError?.(p, (e as Error).message);
    }
  }
  return out.sort((a, b) => (a.grid.order ?? 0) - (b.grid.order ?? 0) || a.name.localeCompare(b.name));
}
