import { describe, expect, it } from 'vitest';
import { ariCheckHours, derivedDailyTime } from '../../../cdk/constructs/renewal-triggers.js';
import { BASE_CONFIG, buildStack } from '../stack-fixture.js';

describe('derivedDailyTime', () => {
  const seeds = Array.from({ length: 500 }, (_, i) => `Stack${i}/${String(100000000000 + i * 7919)}`);

  it('is never on the hour and always a valid time', () => {
    for (const seed of seeds) {
      const { hour, minute } = derivedDailyTime(seed);
      expect(minute).toBeGreaterThanOrEqual(1);
      expect(minute).toBeLessThanOrEqual(59);
      expect(hour).toBeGreaterThanOrEqual(0);
      expect(hour).toBeLessThanOrEqual(23);
    }
  });

  it('is stable for a seed and spreads different stacks over the day', () => {
    expect(derivedDailyTime('Certbeat/123456789012')).toEqual(derivedDailyTime('Certbeat/123456789012'));
    const minutes = new Set(seeds.map((s) => derivedDailyTime(s).minute));
    const hours = new Set(seeds.map((s) => derivedDailyTime(s).hour));
    expect(minutes.size).toBeGreaterThan(50);
    expect(hours.size).toBe(24);
  });

  it('is what the stack schedules, from its name and account', () => {
    for (const account of ['111111111111', '222222222222']) {
      const { template } = buildStack(BASE_CONFIG, { id: 'CertbeatProd', props: { env: { account, region: 'eu-west-1' } } });
      const { hour, minute } = derivedDailyTime(`CertbeatProd/${account}`);
      template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: `cron(${minute} ${hour} * * ? *)` });
    }
  });
});

describe('ariCheckHours', () => {
  it('is every 6 h from the daily hour, that hour left out, wrapping past midnight', () => {
    expect(ariCheckHours(3)).toEqual([9, 15, 21]);
    expect(ariCheckHours(20)).toEqual([2, 8, 14]);
    for (let h = 0; h < 24; h++) expect(new Set([h, ...ariCheckHours(h)]).size).toBe(4);
  });
});
