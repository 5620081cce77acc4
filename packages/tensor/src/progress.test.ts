import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration, formatField } from './progress.js';

class FakeStream {
  out = '';
  constructor(readonly isTTY: boolean, readonly columns?: number) {}
  write(s: string): boolean {
    this.out += s;
    return true;
  }
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('formatting', () => {
  it('durations as m:ss / h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(59.4)).toBe('0:59');
    expect(formatDuration(61)).toBe('1:01');
    expect(formatDuration(3600 + 2 * 60 + 3)).toBe('1:02:03');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
  it('fields: integers verbatim, 4 significant digits otherwise', () => {
    expect(formatField(12)).toBe('12');
    expect(formatField(0.123456)).toBe('0.1235');
    expect(formatField(3.14159)).toBe('3.142');
    expect(formatField(1.5e-5)).toBe('1.500e-5');
    expect(formatField('adam')).toBe('adam');
  });
});

describe('createProgress', () => {
  it('ETA = remaining / rate, with the rate measured by the injected clock', () => {
    const c = clock();
    const s = new FakeStream(false);
    const p = createProgress({ label: 'warm-up', total: 100, stream: s, now: c.now });
    // 10 ticks, 0.5 s apart: 2 it/s; 90 left -> 45 s.
    for (let i = 0; i < 10; i++) {
      c.advance(500);
      p.tick();
    }
    expect(p.count).toBe(10);
    expect(p.rate()).toBeCloseTo(2, 12);
    expect(p.eta()).toBeCloseTo(45, 9);
  });

  it('the rate forgets a slow first step once the window has passed', () => {
    const c = clock();
    const p = createProgress({ label: 'x', total: 50, stream: new FakeStream(false), now: c.now, windowMs: 5000 });
    c.advance(10_000); // compilation
    p.tick();
    // Before the window has passed, the slow step still counts: 3 units in 12 s.
    c.advance(1000);
    p.tick();
    c.advance(1000);
    p.tick();
    expect(p.rate()).toBeCloseTo(3 / 12, 12);
    for (let i = 0; i < 8; i++) {
      c.advance(1000);
      p.tick();
    }
    // 11 done at t0+20 s; the window's anchor is the tick at t0+15 s (count 6): (11-6)/5 s = 1 it/s.
    expect(p.rate()).toBeCloseTo(1, 12);
    expect(p.eta()).toBeCloseTo(39, 9);
  });

  it('no total: no ETA; no elapsed time: rate 0 and no ETA', () => {
    const c = clock();
    const p = createProgress({ label: 'x', stream: new FakeStream(false), now: c.now });
    expect(p.rate()).toBe(0);
    c.advance(1000);
    p.tick(5);
    expect(p.rate()).toBe(5);
    expect(p.eta()).toBeUndefined();
  });

  it('non-TTY: plain lines, the first at once, then at most one per interval, and always the final one', () => {
    const c = clock();
    const s = new FakeStream(false);
    const p = createProgress({ label: 'synthesis', total: 20, stream: s, now: c.now, intervalMs: 5000, unit: 'img' });
    for (let i = 0; i < 20; i++) {
      c.advance(1000);
      p.tick(1, { loss: 0.5 / (i + 1) });
    }
    p.done();
    const lines = s.out.trimEnd().split('\n');
    // Ticks at 1..20 s: printed at 1 s (first), then 6, 11, 16 s (>= 5 s apart), plus done.
    expect(lines).toHaveLength(5);
    expect(s.out).not.toContain('\r');
    expect(lines[0]).toBe('synthesis: 1/20 (5%) 1 img/s ETA 0:19 loss=0.5');
    expect(lines[1]).toBe('synthesis: 6/20 (30%) 1 img/s ETA 0:14 loss=0.08333');
    expect(lines[4]).toBe('synthesis: 20/20 (100%) 1 img/s done in 0:20 loss=0.025');
  });

  it('TTY: one line redrawn with \\r, a bar, rate, ETA and fields; done ends it with a newline', () => {
    const c = clock();
    const s = new FakeStream(true, 200);
    const p = createProgress({ label: 'warm-up', total: 8, stream: s, now: c.now, ttyIntervalMs: 0 });
    c.advance(2000);
    p.tick(2, { loss: 1.25 });
    expect(s.out).toBe(`\rwarm-up [${'█'.repeat(6)}${'░'.repeat(18)}] 2/8 1 it/s ETA 0:06 loss=1.25\x1b[K`);
    s.out = '';
    c.advance(4000);
    p.tick(2, { lr: 0.000357 });
    expect(s.out).toBe(`\rwarm-up [${'█'.repeat(12)}${'░'.repeat(12)}] 4/8 1.5 s/it ETA 0:06 loss=1.25 lr=3.570e-4\x1b[K`);
    s.out = '';
    p.log('checkpoint saved');
    expect(s.out.startsWith('\r\x1b[Kcheckpoint saved\n\rwarm-up [')).toBe(true);
    s.out = '';
    p.done({ loss: undefined });
    expect(s.out).toBe(`\rwarm-up [${'█'.repeat(12)}${'░'.repeat(12)}] 4/8 1.5 s/it in 0:06 lr=3.570e-4\x1b[K\n`);
    s.out = '';
    p.tick();
    expect(s.out).toBe('');
  });

  it('TTY: throttles redraws and cuts the line to the terminal width', () => {
    const c = clock();
    const s = new FakeStream(true, 30);
    const p = createProgress({ label: 'a-long-label', total: 1000, stream: s, now: c.now, ttyIntervalMs: 100 });
    for (let i = 0; i < 10; i++) {
      c.advance(10);
      p.tick();
    }
    // The first tick draws (at 10 ms); the next draw would need 100 ms more, and the last tick is at 100 ms.
    expect(s.out.split('\r').filter(Boolean)).toHaveLength(1);
    for (const seg of s.out.split('\r').filter(Boolean)) expect(seg.replace('\x1b[K', '').length).toBeLessThanOrEqual(29);
  });

  it('quiet writes nothing but still counts', () => {
    const c = clock();
    const s = new FakeStream(true);
    const p = createProgress({ label: 'x', total: 3, stream: s, quiet: true, now: c.now });
    c.advance(1000);
    p.tick();
    p.log('hello');
    p.done();
    expect(s.out).toBe('');
    expect(p.count).toBe(1);
  });
});
