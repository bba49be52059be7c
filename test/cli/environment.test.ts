/** The stack outputs the CLI reads are the ones the CDK stack declares (the names are kept in two places). */
import { describe, expect, it } from 'vitest';
import { OUTPUTS } from '../../cdk/certbeat-stack.js';
import { STACK_OUTPUTS } from '../../cli/environment.js';

describe('stack outputs', () => {
  it('names the table, the function and the account secret as cdk/certbeat-stack.ts declares them', () => {
    expect(STACK_OUTPUTS.tableName).toBe(OUTPUTS.tableName);
    expect(STACK_OUTPUTS.functionName).toBe(OUTPUTS.functionName);
    expect(STACK_OUTPUTS.accountSecretId).toBe(OUTPUTS.accountSecretId);
  });
});
