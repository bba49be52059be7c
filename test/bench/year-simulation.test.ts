import { describe, expect, it } from 'vitest';
import { DEFAULTS, peakInWindow, simulateYear, type SimulationOptions } from '../../bench/year-simulation.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** An attempt completes up to 5 minutes after its run starts (the model's latency). */
const LATENCY = 5 * MINUTE;

// A small fleet keeps this fast; the invariants do not depend on the fleet's size.
const small = (overrides: Partial<SimulationOptions> & { lifetimeMs: number }): SimulationOptions => ({
  ...DEFAULTS,
  certificates: 60,
  domains: 6,
  ...overrides,
});

describe('a year in virtual time over the real renewal policy', () => {
  for (const days of [90, 45, 6]) {
    it(`${days}-day certificates, daily runs, no failures: none expires, each renewed within one run of the policy's point`, () => {
      const L = days * DAY;
      const r = simulateYear(small({ lifetimeMs: L, failureRate: 0, drill: undefined }));
      expect(r.failures).toBe(0);
      expect(r.expired).toBe(0);
      expect(r.imports).toBe(r.renewals);
      expect(r.minLeftMs).toBeGreaterThanOrEqual(L * r.policyShare - DAY - LATENCY);
      expect(r.lateRenewals).toBe(0);
      // One renewal per (1 − share) of the lifetime, give or take the day a run waits.
      const cycleDays = days * (1 - r.policyShare);
      expect(r.renewalsPerCertificate).toBeGreaterThan((365 / (cycleDays + 1)) * 0.97);
      expect(r.renewalsPerCertificate).toBeLessThan((365 / cycleDays) * 1.03);
    });
  }

  it('keeps the 6-day fleet at ⅓ at best with daily runs: ½ minus one day is exactly ⅓ (the finding)', () => {
    const L = 6 * DAY;
    const r = simulateYear(small({ lifetimeMs: L, failureRate: 0, drill: undefined }));
    expect(r.policyShare).toBe(1 / 2);
    expect(r.minLeftShare).toBeLessThan(1 / 3 + HOUR / L);
    expect(r.minLeftShare).toBeGreaterThan(1 / 3 - (2 * LATENCY) / L);
  });

  it('with 2 % failing attempts, 90- and 45-day certificates never expire and every renewal is one import', () => {
    for (const days of [90, 45]) {
      const r = simulateYear(small({ lifetimeMs: days * DAY, certificates: 200 }));
      expect(r.failures).toBeGreaterThan(0);
      expect(r.failures / r.attempts).toBeGreaterThan(0.01);
      expect(r.failures / r.attempts).toBeLessThan(0.03);
      expect(r.expired).toBe(0);
      expect(r.imports).toBe(r.renewals);
    }
  });

  it('lets a 6-day certificate expire only after three failed daily attempts in a row, and fewer when runs are 6-hourly', () => {
    const daily = simulateYear(small({ lifetimeMs: 6 * DAY, certificates: 200, failureRate: 0.05 }));
    expect(daily.expired).toBeGreaterThan(0);
    expect(daily.fewestFailuresBeforeExpiry).toBeGreaterThanOrEqual(3);
    const sixHourly = simulateYear(small({ lifetimeMs: 6 * DAY, certificates: 200, failureRate: 0.05, scheduleHours: 6 }));
    expect(sixHourly.expired).toBeLessThan(daily.expired);
  });

  it('renews a drill within one light check when it runs every 6 h, and within one daily run without it', () => {
    const drill = { day: 100, hour: 14, share: 0.5 };
    const light = simulateYear(small({ lifetimeMs: 45 * DAY, failureRate: 0, drill, lightCheckHours: 6 }));
    expect(light.drill!.affected).toBeGreaterThan(10);
    expect(light.drill!.renewedWithin24h).toBe(light.drill!.affected);
    expect(light.drill!.maxHoursToRenew).toBeLessThanOrEqual(6 + LATENCY / HOUR);

    const daily = simulateYear(small({ lifetimeMs: 45 * DAY, failureRate: 0, drill }));
    expect(daily.drill!.affected).toBeGreaterThan(10);
    // The drill lands at 14:00, the daily run is at 03:17: 13.3 h later. Next checks are at most 23 h away,
    // so none lands minutes after the next run and waits a day more (it did with 24 h).
    expect(daily.drill!.maxHoursToRenew).toBeGreaterThan(13);
    expect(daily.drill!.maxHoursToRenew).toBeLessThanOrEqual(13.3 + LATENCY / HOUR);
  });

  it('keeps 6-day certificates above ⅓ with the 6-hourly check, and lets far fewer expire when attempts fail', () => {
    const L = 6 * DAY;
    const faultless = simulateYear(small({ lifetimeMs: L, failureRate: 0, drill: undefined, lightCheckHours: 6 }));
    expect(faultless.expired).toBe(0);
    // Picked up within one 6-hour check of the ½ point.
    expect(faultless.minLeftMs).toBeGreaterThanOrEqual(L / 2 - 6 * HOUR - LATENCY);
    expect(faultless.minLeftShare).toBeGreaterThan(1 / 3);
    const daily = simulateYear(small({ lifetimeMs: L, certificates: 200, failureRate: 0.05 }));
    const light = simulateYear(small({ lifetimeMs: L, certificates: 200, failureRate: 0.05, lightCheckHours: 6 }));
    expect(light.expired).toBeLessThan(daily.expired / 10);
  });

  it('is deterministic for a seed', () => {
    const a = simulateYear(small({ lifetimeMs: 45 * DAY, seed: 7 }));
    const b = simulateYear(small({ lifetimeMs: 45 * DAY, seed: 7 }));
    const c = simulateYear(small({ lifetimeMs: 45 * DAY, seed: 8 }));
    expect(b).toEqual(a);
    expect(c.minLeftMs).not.toBe(a.minLeftMs);
  });

  it('counts the busiest window of a given width', () => {
    expect(peakInWindow([0, 1, 2, 10, 11, 30], 3)).toBe(3);
    expect(peakInWindow([0, 3, 6], 3)).toBe(1);
    expect(peakInWindow([], 3)).toBe(0);
  });
});
