import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../lambda/domain/errors.js';
import { certbeatIdsOf, parseEvent } from '../lambda/event.js';

describe('parseEvent', () => {
  it('reads the schedule, deploy, renew-now and ACM expiry events', () => {
    expect(parseEvent({ source: 'certbeat.schedule' })).toEqual({ trigger: 'schedule' });
    expect(parseEvent({ action: 'run', reason: 'deploy' })).toEqual({ trigger: 'deploy' });
    expect(parseEvent({ action: 'digest' })).toEqual({ trigger: 'digest' });
    expect(parseEvent({ action: 'ari-check' })).toEqual({ trigger: 'ari-check' });
    expect(parseEvent({ action: 'renew', certificateId: 'web' })).toEqual({ trigger: 'renew-now', ids: ['web'], force: true });
    expect(
      parseEvent({ source: 'aws.acm', 'detail-type': 'ACM Certificate Approaching Expiration', resources: ['arn:aws:acm:us-east-1:1:certificate/x'] }),
    ).toEqual({ trigger: 'acm-expiry', arns: ['arn:aws:acm:us-east-1:1:certificate/x'] });
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

  it('maps the ARNs of an ACM event to certbeat ids, once each, skipping certificates that are not certbeat’s', async () => {
    const tags: Record<string, string | undefined> = { 'arn:1': 'web', 'arn:2': undefined, 'arn:3': 'web', 'arn:4': 'api' };
    const asked: string[] = [];
    const store = {
      certificateIdOf: async (arn: string) => {
        asked.push(arn);
        return tags[arn];
      },
    };
    expect(await certbeatIdsOf(['arn:1', 'arn:2', 'arn:3', 'arn:4', 'arn:1'], store)).toEqual(['web', 'api']);
    expect(asked).toEqual(['arn:1', 'arn:2', 'arn:3', 'arn:4']);
    expect(await certbeatIdsOf(['arn:2'], store)).toEqual([]);
  });
});
