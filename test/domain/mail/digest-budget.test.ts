import { describe, expect, it } from 'vitest';
import { sendDigest } from '../../../lambda/domain/digest.js';
import { memoryBudgetStore } from '../../../lambda/domain/budget.js';
import { LETS_ENCRYPT_PRODUCTION } from '../../../lambda/domain/model.js';
import { renderDigest } from '../../../lambda/domain/mail/digest.js';

const NOW = new Date('2026-12-03T12:05:00.000Z');

describe('the digest shows the budgets', () => {
  it('lists ACM imports, orders and new certificates against their limits (or none known), with the 80 % warning', async () => {
    const sent: Array<{ text: string; html: string }> = [];
    const budget = memoryBudgetStore({
      'imports|2026-11-01': 4200,
      'orders|https://ca.test/dir |2026-12-03T12:00': 9,
      [`orders|${LETS_ENCRYPT_PRODUCTION} |2026-12-03T12:00`]: 2,
      [`domain|${LETS_ENCRYPT_PRODUCTION} example.com|2026-12-02`]: 3,
    });
    await sendDigest(
      { inventory: { listAll: async () => ({ records: [], invalid: [] }) }, notifier: { send: async (m) => void sent.push(m) }, clock: { now: () => NOW }, budget },
      ['ops@example.com'],
    );
    const { text, html } = sent[0];
    expect(text).toMatch(/RATE LIMITS AND QUOTAS \(NPX CERTBEAT BUDGET\)/);
    expect(text).toMatch(/ACM imports \(this account and region\) \(365 days\):\s*4200 of 5000/);
    // A CA whose limits certbeat does not know: counted, shown, never refused.
    expect(text).toMatch(/Orders, https:\/\/ca\.test\/dir \(3 h\):\s*9 \(no limit known\)/);
    expect(text).toMatch(/Orders, https:\/\/acme-v02\.api\.letsencrypt\.org\/directory \(3 h\):\s*2 of 300/);
    expect(text).toMatch(/New certificates, example\.com at https:\/\/acme-v02\.api\.letsencrypt\.org\/directory \(7 days\):\s*3 of 50/);
    expect(text).toMatch(/84 % of ACM's 5000/);
    expect(html).toContain('4200 of 5000');
  });

  it('leaves the section out when no budget is known', () => {
    expect(renderDigest({ records: [], invalid: [] }, { now: NOW }).text).not.toMatch(/RATE LIMITS/i);
  });
});
