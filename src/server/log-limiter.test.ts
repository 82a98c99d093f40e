import { describe, expect, it } from 'vitest';
import { LogLimiter } from './log-limiter.ts';

describe('LogLimiter', () => {
  it('drops lines past the limit and reports them in the next window', () => {
    let now = 0;
    const limiter = new LogLimiter(2, 1000, () => now);
    expect(limiter.admit()).toEqual({ write: true, dropped: 0 });
    expect(limiter.admit()).toEqual({ write: true, dropped: 0 });
    expect(limiter.admit()).toEqual({ write: false, dropped: 0 });
    expect(limiter.admit()).toEqual({ write: false, dropped: 0 });
    now = 1000;
    expect(limiter.admit()).toEqual({ write: true, dropped: 2 });
    now = 2500;
    expect(limiter.admit()).toEqual({ write: true, dropped: 0 });
  });
});
