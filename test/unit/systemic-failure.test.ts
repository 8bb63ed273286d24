import { describe, expect, it } from 'vitest';
import {
  FailureStreak,
  STREAK_WINDOW_MS,
  systemicCause,
  type RecordFailure,
} from '../../src/processing/systemic-failure';

const broken = (offset: number, message = 'Cannot read properties of undefined'): RecordFailure => ({
  offset: String(offset),
  error: new TypeError(message),
});

describe('the rule that tells a bad record from a systemic failure', () => {
  it('every record of a batch failing the same way is systemic', () => {
    const failures = [0, 1, 2].map((o) => broken(o));
    expect(systemicCause(failures, 3, new FailureStreak())).toBe(failures[0]!.error);
  });

  it('some records failing while their batch-mates pass is bad data', () => {
    expect(systemicCause([broken(3), broken(7)], 10_000, new FailureStreak())).toBeUndefined();
  });

  it('every record failing, but in different ways, is bad data', () => {
    const failures = [broken(0, 'field a missing'), broken(1, 'field b missing')];
    expect(systemicCause(failures, 2, new FailureStreak())).toBeUndefined();
    // The error's type counts as much as its message.
    const typed = [broken(0), { offset: '1', error: new RangeError('Cannot read properties of undefined') }];
    expect(systemicCause(typed, 2, new FailureStreak())).toBeUndefined();
  });

  it('a lone record is systemic only when another record failed the same way just before, with none passing since', () => {
    const streak = new FailureStreak();
    expect(systemicCause([broken(0)], 1, streak)).toBeUndefined();
    // Its own retry proves nothing more.
    expect(systemicCause([broken(0)], 1, streak)).toBeUndefined();
    expect(systemicCause([broken(1)], 1, streak)).toBeInstanceOf(TypeError);
    // A record that went through ends the streak.
    streak.succeeded();
    expect(systemicCause([broken(2)], 1, streak)).toBeUndefined();
    // Another error starts a streak of its own.
    expect(systemicCause([broken(3, 'other')], 1, streak)).toBeUndefined();
  });

  it('forgets failures older than the window', () => {
    let now = 0;
    const streak = new FailureStreak(() => now);
    systemicCause([broken(0)], 1, streak);
    now += STREAK_WINDOW_MS + 1;
    expect(systemicCause([broken(1)], 1, streak)).toBeUndefined();
    now += 1_000;
    expect(systemicCause([broken(2)], 1, streak)).toBeDefined();
  });

  it('no failure is no cause', () => {
    expect(systemicCause([], 0, new FailureStreak())).toBeUndefined();
  });
});
