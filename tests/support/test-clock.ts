import type { Clock } from '../../src/deploy/ports/index.js';

/** A clock tests move by hand; it starts at the real time so Slack signatures stay fresh. */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** A clock that stands still at `nowMs` until a test sets it: for minute-by-minute timelines such as Monitoring's. */
export class ManualClock implements Clock {
  constructor(public nowMs: number) {}
  now(): Date {
    return new Date(this.nowMs);
  }
}
