import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../lambda/domain/errors.js';
import { parseEvent } from '../lambda/event.js';

describe('parseEvent', () => {
  it('reads the schedule, deploy, renew-now and ACM expiry events', () => {
    expect(parseEvent({ source: 'certbeat.schedule' })).toEqual({ trigger: 'schedule' });
    expect(parseEvent({ action: 'run', reason: 'deploy' })).toEqual({ trigger: 'deploy' });
    expect(parseEvent({ action: 'digest' })).toEqual({ trigger: 'digest' });
    expect(parseEvent({ action: 'renew', certificateId: 'web' })).toEqual({ trigger: 'renew-now', ids: ['web'], force: true });
    expect(
      parseEvent({ source: 'aws.acm', 'detail-type': 'ACM Certificate Approaching Expiration', resources: ['arn:aws:acm:us-east-1:1:certificate/x'] }),
    ).toEqual({ trigger: 'acm-expiry' });
  });

  it('refuses an event it does not know, saying what it accepts', () => {
    expect(() => parseEvent({ action: 'renew' })).toThrow(ConfigurationError);
    let caught: unknown;
    try {
      parseEvent(42);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect((caught as ConfigurationError).remediation).toMatch(/"action":"renew"/);
  });
});
