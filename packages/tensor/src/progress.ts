// Progress reporting for long jobs (warm-up, synthesis, self-improving, evaluation).
//
// On a terminal: one line redrawn in place — label, bar, n/total, rate, ETA and extra fields such as the loss.
// Elsewhere (CI logs, files, pipes): plain lines, at most one every `intervalMs` (default 5 s), so a log of a
// long run stays readable. `quiet` writes nothing. The clock is injectable so rate and ETA are testable.

/** Where progress is written: process.stderr or anything with `write` (tests pass a fake). */
export interface ProgressStream {
  write(text: string): unknown;
  /** True for a terminal: the line is redrawn in place with '\r'. */
  isTTY?: boolean;
  /** Terminal width; the TTY line is cut to fit it. */
  columns?: number;
}

export type ProgressFields = Record<string, number | string | undefined>;

export interface ProgressOptions {
  /** Names the job in every line, e.g. 'warm-up' or 'synthesis'. */
  label: string;
  /** Units of work in all; unknown (undefined) shows no bar and no ETA. */
  total?: number;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Write nothing at all. */
  quiet?: boolean;
  /** Unit name after the rate, default 'it' (e.g. 'img', 'step'). */
  unit?: string;
  /** Milliseconds clock, default performance.now (tests inject a fake). */
  now?: () => number;
  /** Non-TTY: at most one line per this many ms (default 5000). The first tick and done() always print. */
  intervalMs?: number;
  /** TTY: at most one redraw per this many ms (default 100). */
  ttyIntervalMs?: number;
  /** The rate is measured over (about) the last this many ms of ticks (default 30000), so a slow first step
   * (graph compilation, cache warm-up) stops weighing on the ETA after a while. */
  windowMs?: number;
}

export interface Progress {
  /** Adds `n` (default 1) units of work done; `fields` (e.g. { loss: 0.12 }) are shown until replaced. */
  tick(n?: number, fields?: ProgressFields): void;
  /** Sets the count of work done (e.g. after resuming from a checkpoint at step 300). */
  update(count: number, fields?: ProgressFields): void;
  /** Prints a message on its own line without garbling the progress line. */
  log(message: string): void;
  /** Final line (always printed unless quiet); further ticks are ignored. */
  done(fields?: ProgressFields): void;
  /** Units done so far. */
  readonly count: number;
  /** Units per second over the recent window (0 before two distinct clock readings). */
  rate(): number;
  /** Seconds left at the current rate; undefined without a total or a rate. */
  eta(): number | undefined;
}

/** Seconds as m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(sec).padStart(2, '0')}`;
}

/** A field value as shown: integers as they are, other numbers with 4 significant digits. */
export function formatField(value: number | string): string {
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return String(value);
  if (!Number.isFinite(value)) return String(value);
  const a = Math.abs(value);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? value.toExponential(3) : String(Number(value.toPrecision(4)));
}

function formatRate(rate: number, unit: string): string {
  if (rate <= 0) return `? ${unit}/s`;
  if (rate >= 1) return `${formatField(rate)} ${unit}/s`;
  return `${formatField(1 / rate)} s/${unit}`;
}

const BAR_WIDTH = 24;

/**
 * A progress reporter: on a terminal one redrawn line (bar, count, windowed rate, ETA, fields); elsewhere a plain
 * line every `intervalMs`. Call update/tick as work completes and done() at the end.
 */
export function createProgress(options: ProgressOptions): Progress {
  const stream: ProgressStream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const quiet = options.quiet === true;
  const tty = stream.isTTY === true;
  const intervalMs = options.intervalMs ?? 5000;
  const ttyIntervalMs = options.ttyIntervalMs ?? 100;
  const windowMs = options.windowMs ?? 30_000;
  const unit = options.unit ?? 'it';
  const total = options.total !== undefined && options.total > 0 ? options.total : undefined;
  const start = now();
  // (time, count) samples; the rate is the slope between the oldest sample inside the window and the newest.
  const samples: { t: number; n: number }[] = [{ t: start, n: 0 }];
  const fields: Record<string, number | string> = {};
  let count = 0;
  let lastWrite = -Infinity;
  let wroteAny = false;
  let finished = false;
  let ttyLineShown = false;

  function mergeFields(f: ProgressFields | undefined): void {
    if (!f) return;
    for (const [k, v] of Object.entries(f)) {
      if (v === undefined) delete fields[k];
      else fields[k] = v;
    }
  }

  function rate(): number {
    // record() keeps samples[0] as the newest sample at or just before the window's start.
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const dt = (last.t - first.t) / 1000;
    return dt > 0 ? (last.n - first.n) / dt : 0;
  }

  function eta(): number | undefined {
    if (total === undefined) return undefined;
    const r = rate();
    if (r <= 0) return undefined;
    return Math.max(0, total - count) / r;
  }

  function fieldText(): string {
    return Object.entries(fields).map(([k, v]) => `${k}=${formatField(v)}`).join(' ');
  }

  function countText(): string {
    return total === undefined ? `${count}` : `${count}/${total}`;
  }

  function ttyLine(final: boolean): string {
    const parts: string[] = [options.label];
    if (total !== undefined) {
      const frac = Math.min(1, count / total);
      const filled = Math.round(frac * BAR_WIDTH);
      parts.push(`[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`);
    }
    parts.push(countText(), formatRate(rate(), unit));
    if (final) parts.push(`in ${formatDuration((now() - start) / 1000)}`);
    else {
      const e = eta();
      if (e !== undefined) parts.push(`ETA ${formatDuration(e)}`);
    }
    const f = fieldText();
    if (f) parts.push(f);
    let line = parts.join(' ');
    const cols = stream.columns;
    if (cols !== undefined && cols > 10 && line.length > cols - 1) line = line.slice(0, cols - 2) + '…';
    return line;
  }

  function plainLine(final: boolean): string {
    const parts: string[] = [`${options.label}:`, countText()];
    if (total !== undefined) parts.push(`(${Math.floor((100 * Math.min(count, total)) / total)}%)`);
    parts.push(formatRate(rate(), unit));
    if (final) parts.push(`done in ${formatDuration((now() - start) / 1000)}`);
    else {
      const e = eta();
      if (e !== undefined) parts.push(`ETA ${formatDuration(e)}`);
    }
    const f = fieldText();
    if (f) parts.push(f);
    return parts.join(' ');
  }

  function draw(force: boolean, final = false): void {
    if (quiet) return;
    const t = now();
    if (tty) {
      if (!force && t - lastWrite < ttyIntervalMs) return;
      stream.write(`\r${ttyLine(final)}\x1b[K${final ? '\n' : ''}`);
      ttyLineShown = !final;
    } else {
      if (!force && wroteAny && t - lastWrite < intervalMs) return;
      stream.write(`${plainLine(final)}\n`);
    }
    lastWrite = t;
    wroteAny = true;
  }

  function record(): void {
    const t = now();
    samples.push({ t, n: count });
    // Drop samples older than the window, keeping the newest one at or before its start as the slope's anchor.
    while (samples.length > 2 && t - samples[1]!.t >= windowMs) samples.shift();
  }

  return {
    tick(n = 1, f?: ProgressFields): void {
      if (finished) return;
      count += n;
      mergeFields(f);
      record();
      draw(!wroteAny);
    },
    update(c: number, f?: ProgressFields): void {
      if (finished) return;
      count = c;
      mergeFields(f);
      record();
      draw(!wroteAny);
    },
    log(message: string): void {
      if (quiet) return;
      if (tty && ttyLineShown) {
        stream.write(`\r\x1b[K${message}\n`);
        stream.write(`\r${ttyLine(false)}\x1b[K`);
      } else {
        stream.write(`${message}\n`);
      }
    },
    done(f?: ProgressFields): void {
      if (finished) return;
      mergeFields(f);
      draw(true, true);
      finished = true;
    },
    get count(): number {
      return count;
    },
    rate,
    eta,
  };
}
