import { describe, expect, it } from 'vitest';
import { tensor } from '@diff2in1/tensor';
import { createSession, type Session } from './session.js';
import { SessionCache } from './session-cache.js';
import { addModel } from './testing/onnx-test-models.js';

describe('SessionCache', () => {
  it('creates once for concurrent callers, retries failures, and releases everything', async () => {
    const cache = new SessionCache();
    let creations = 0;
    const make = async (): Promise<Session> => {
      creations++;
      return createSession(addModel('float32', [1]), { device: 'cpu', intraOpThreads: 1 });
    };
    const [s1, s2] = await Promise.all([cache.get('add', make), cache.get('add', make)]);
    expect(creations).toBe(1);
    expect(s1).toBe(s2);
    expect(await cache.get('add', make)).toBe(s1);

    let fails = 0;
    const failing = async (): Promise<Session> => {
      fails++;
      throw new Error('boom');
    };
    await expect(cache.get('bad', failing)).rejects.toThrow('boom');
    await expect(cache.get('bad', failing)).rejects.toThrow('boom');
    expect(fails).toBe(2); // a failure is not cached
    expect(cache.has('bad')).toBe(false);

    const other = await cache.get('other', make);
    expect(cache.size).toBe(2);
    expect(await cache.release('other')).toBe(true);
    await expect(other.run({ a: tensor('float32', [1]), b: tensor('float32', [1]) })).rejects.toThrow(/after release/);

    await cache.releaseAll();
    expect(cache.size).toBe(0);
    await expect(s1.run({ a: tensor('float32', [1]), b: tensor('float32', [1]) })).rejects.toThrow(/after release/);
  });
});
