// Line charts as inline SVG, drawn by hand (no chart library, nothing fetched): axes with "nice" ticks
// (1, 2, 5 × 10^k), a log y axis when positive values span more than two decades, one polyline per series —
// noisy training curves are drawn faint with a moving average on top — and a legend.
import { escapeHtml } from './escape.js';

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface ChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  series: readonly Series[];
  width?: number;
  height?: number;
  /** 'auto' (default): log scale when all y > 0 and max/min > 100. */
  yScale?: 'linear' | 'log' | 'auto';
  /** Draw a moving average over series longer than this many points (default 30). */
  smoothAbove?: number;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** A step of 1, 2 or 5 × 10^k close to span/count. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/** Tick values covering [lo, hi] at a nice step (lo/hi are widened to multiples of the step). */
export function niceTicks(lo: number, hi: number, count = 5): { lo: number; hi: number; ticks: number[] } {
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= d;
    hi += d;
  }
  const step = niceStep(hi - lo, count);
  const a = Math.floor(lo / step + 1e-9) * step;
  const b = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = a, i = 0; v <= b + step * 1e-9 && i < 100; v = a + ++i * step) ticks.push(Number(v.toPrecision(12)));
  return { lo: a, hi: b, ticks };
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}

/** Moving average with a centred window of `w` points. */
export function movingAverage(points: readonly (readonly [number, number])[], w: number): [number, number][] {
  const out: [number, number][] = [];
  const h = Math.floor(w / 2);
  for (let i = 0; i < points.length; i++) {
    let s = 0;
    let n = 0;
    for (let j = Math.max(0, i - h); j <= Math.min(points.length - 1, i + h); j++) {
      s += points[j]![1];
      n++;
    }
    out.push([points[i]![0], s / n]);
  }
  return out;
}

/** At most `max` points: consecutive points averaged in buckets. */
export function downsample(points: readonly (readonly [number, number])[], max: number): (readonly [number, number])[] {
  if (points.length <= max) return [...points];
  const out: [number, number][] = [];
  const size = points.length / max;
  for (let b = 0; b < max; b++) {
    const from = Math.floor(b * size);
    const to = Math.floor((b + 1) * size);
    let sx = 0;
    let sy = 0;
    for (let i = from; i < to; i++) {
      sx += points[i]![0];
      sy += points[i]![1];
    }
    out.push([sx / (to - from), sy / (to - from)]);
  }
  return out;
}

/** An <svg> element (a string) for the chart; series without finite points are left out. */
export function lineChart(opts: ChartOptions): string {
  const W = opts.width ?? 560;
  const H = opts.height ?? 260;
  const m = { l: 62, r: 16, t: 30, b: 44 };
  const series = opts.series
    .map((s) => ({ name: s.name, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)) }))
    .filter((s) => s.points.length > 0);
  const title = `<text x="${W / 2}" y="18" text-anchor="middle" class="chart-title">${escapeHtml(opts.title)}</text>`;
  if (series.length === 0) {
    return `<svg class="chart" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${title}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="chart-empty">no data</text></svg>`;
  }
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const yMin = Math.min(...ys);
  const yMax = Math.max(...ys);
  const log = opts.yScale === 'log' || (opts.yScale !== 'linear' && yMin > 0 && yMax / yMin > 100);
  const tx = niceTicks(Math.min(...xs), Math.max(...xs), 6);
  let ty: { lo: number; hi: number; ticks: number[] };
  if (log) {
    const lo = Math.floor(Math.log10(yMin));
    const hi = Math.ceil(Math.log10(yMax));
    ty = { lo, hi: hi === lo ? lo + 1 : hi, ticks: Array.from({ length: (hi === lo ? 1 : hi - lo) + 1 }, (_, i) => lo + i) };
  } else ty = niceTicks(yMin, yMax, 5);
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const X = (x: number): number => m.l + ((x - tx.lo) / (tx.hi - tx.lo || 1)) * pw;
  const Y = (y: number): number => m.t + ph - (((log ? Math.log10(y) : y) - ty.lo) / (ty.hi - ty.lo || 1)) * ph;
  const r = (v: number): string => v.toFixed(1);
  const parts: string[] = [title];
  // grid + ticks
  for (const t of tx.ticks) {
    parts.push(`<line class="grid" x1="${r(X(t))}" y1="${m.t}" x2="${r(X(t))}" y2="${m.t + ph}"/>`);
    parts.push(`<text class="tick" x="${r(X(t))}" y="${m.t + ph + 16}" text-anchor="middle">${fmtTick(t)}</text>`);
  }
  for (const t of ty.ticks) {
    const yv = log ? 10 ** t : t;
    parts.push(`<line class="grid" x1="${m.l}" y1="${r(Y(yv))}" x2="${m.l + pw}" y2="${r(Y(yv))}"/>`);
    parts.push(`<text class="tick" x="${m.l - 6}" y="${r(Y(yv) + 4)}" text-anchor="end">${fmtTick(yv)}</text>`);
  }
  parts.push(`<rect class="frame" x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/>`);
  if (opts.xLabel) parts.push(`<text class="axis-label" x="${m.l + pw / 2}" y="${H - 6}" text-anchor="middle">${escapeHtml(opts.xLabel)}</text>`);
  if (opts.yLabel) {
    parts.push(`<text class="axis-label" transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(opts.yLabel)}${log ? ' (log)' : ''}</text>`);
  }
  const smoothAbove = opts.smoothAbove ?? 30;
  const legend: string[] = [`<rect class="legend-box" x="${m.l + pw - 156}" y="${m.t + 2}" width="152" height="${series.length * 16 + 6}"/>`];
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const pts = downsample(s.points, 1500);
    const path = (p: readonly (readonly [number, number])[]): string => p.map(([x, y]) => `${r(X(x))},${r(Y(y))}`).join(' ');
    if (pts.length === 1) {
      parts.push(`<circle cx="${r(X(pts[0]![0]))}" cy="${r(Y(pts[0]![1]))}" r="3" fill="${color}"/>`);
    } else if (pts.length > smoothAbove) {
      parts.push(`<polyline class="raw" points="${path(pts)}" stroke="${color}"/>`);
      parts.push(`<polyline class="line" points="${path(movingAverage(pts, Math.max(3, Math.round(pts.length / 25))))}" stroke="${color}"/>`);
    } else {
      parts.push(`<polyline class="line" points="${path(pts)}" stroke="${color}"/>`);
      for (const [x, y] of pts) parts.push(`<circle cx="${r(X(x))}" cy="${r(Y(y))}" r="2.5" fill="${color}"/>`);
    }
    const ly = m.t + 12 + i * 16;
    legend.push(`<line x1="${m.l + pw - 150}" y1="${ly - 4}" x2="${m.l + pw - 130}" y2="${ly - 4}" stroke="${color}" stroke-width="2.5"/>`);
    legend.push(`<text class="legend" x="${m.l + pw - 124}" y="${ly}">${escapeHtml(s.name)}</text>`);
  });
  parts.push(...legend);
  return `<svg class="chart" role="img" aria-label="${escapeHtml(opts.title)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
}
