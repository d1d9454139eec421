import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS } from '../../src/ports/clock.js';
import { rolloutDeliverySeconds, stepDurationBoundMs, worstCaseRounds } from '../../src/adapters/aws/ssm-limits.js';
import { DEFAULT_POLL_SCHEDULE, pollDelays } from '../../src/adapters/aws/ssm-poll.js';
import { commandComment, sendCommandInput } from '../../src/adapters/aws/ssm-send.js';
import { buildTargets, planSends } from '../../src/adapters/aws/ssm-targets.js';
import type { SsmTarget } from '../../src/runbook/model.js';

const target = (extra: Partial<SsmTarget>): SsmTarget => ({ kind: 'ssm', name: 'fleet', maxConcurrency: '10', maxErrors: '0', ...extra });
const ids = (n: number) => Array.from({ length: n }, (_, i) => `i-${String(i).padStart(17, '0')}`);

describe('rate-control arithmetic', () => {
  it('counts rounds of max-concurrency, and bounds percentages without knowing the fleet', () => {
    expect(worstCaseRounds('10', 120)).toBe(12);
    expect(worstCaseRounds('10%', 120)).toBe(10);
    expect(worstCaseRounds('10%', 15)).toBe(15); // 10% of 15 rounds down to 1 at a time
    expect(worstCaseRounds('10%', undefined)).toBe(20);
    expect(worstCaseRounds('10', undefined)).toBeUndefined();
    // The percentage bound holds for every fleet size.
    for (let n = 1; n <= 2000; n++) expect(worstCaseRounds('7%', n)!).toBeLessThanOrEqual(worstCaseRounds('7%', undefined)!);
  });

  it('allows 120 instances at max-concurrency 10 twelve execution timeouts, not one', () => {
    const bound = stepDurationBoundMs({ batchSizes: [120], concurrency: '10', deliverySeconds: 600, executionSeconds: 60, slackMs: 0 });
    expect(bound).toBe((600 + 12 * 60) * 1000);
  });

  it('keeps later rounds deliverable: the delivery window grows by one execution timeout per extra round', () => {
    expect(rolloutDeliverySeconds(600, 60, 1)).toBe(600);
    expect(rolloutDeliverySeconds(600, 60, 12)).toBe(600 + 11 * 60);
    expect(rolloutDeliverySeconds(600, 60, undefined)).toBe(600);
    expect(rolloutDeliverySeconds(600, 172_800, 100)).toBe(2_592_000);
    const ids = Array.from({ length: 40 }, (_, i) => `i-${String(i).padStart(17, '0')}`);
    const settings = { target: target({ instanceIds: ids }), commands: ['true'], origin: undefined, stepName: 's', deliverySeconds: 600, executionSeconds: 300 };
    const input = sendCommandInput(settings, { selector: { InstanceIds: ids }, MaxConcurrency: '10' }, '0', 'ref');
    expect(input.TimeoutSeconds).toBe(600 + 3 * 300);
    // A tag target: the rounds come from the instances prepare() found; unknown, the plain delivery timeout.
    const tags = { ...settings, target: target({ tags: { Role: 'web' } }) };
    const byTag = { selector: { Targets: [{ Key: 'tag:Role', Values: ['web'] }] }, MaxConcurrency: '10' };
    expect(sendCommandInput({ ...tags, fleetSize: 40 }, byTag, '0', 'ref').TimeoutSeconds).toBe(600 + 3 * 300);
    expect(sendCommandInput(tags, byTag, '0', 'ref').TimeoutSeconds).toBe(600);
  });
  it('never hands out a duration setTimeout would overflow on', () => {
    expect(stepDurationBoundMs({ batchSizes: undefined, concurrency: '10', deliverySeconds: 600, executionSeconds: 60, slackMs: 0 })).toBe(MAX_TIMER_MS);
    expect(stepDurationBoundMs({ batchSizes: [50, 50], concurrency: '1', deliverySeconds: 2_592_000, executionSeconds: 172_800, slackMs: 0 })).toBe(MAX_TIMER_MS);
  });
});

describe('planSends', () => {
  it('sends up to 50 ids in one call with the target limits as written', () => {
    expect(planSends(target({ instanceIds: ids(50), maxConcurrency: '10%' }))).toEqual({
      batches: [{ selector: { InstanceIds: ids(50) }, MaxConcurrency: '10%' }],
    });
  });
  it('splits more than 50 ids into batches with one error budget and absolute concurrency for the whole fleet', () => {
    const plan = planSends(target({ instanceIds: ids(120), maxConcurrency: '10%', maxErrors: '5%' }));
    expect(plan.batches.map((b) => ('InstanceIds' in b.selector ? b.selector.InstanceIds.length : 0))).toEqual([50, 50, 20]);
    expect(plan.batches.every((b) => b.MaxConcurrency === '12')).toBe(true);
    expect(plan.errorBudget).toBe(6);
  });
  it('maps tags and resource groups, and refuses more than 5 keys', () => {
    expect(buildTargets(target({ tags: { Env: ['a', 'b'] }, resourceGroup: 'g' }))).toEqual([
      { Key: 'tag:Env', Values: ['a', 'b'] },
      { Key: 'resource-groups:Name', Values: ['g'] },
    ]);
    const tags = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`k${i}`, 'v']));
    expect(() => buildTargets(target({ tags }))).toThrow(/at most 5/);
  });
});

describe('commandComment', () => {
  it('names the repository and the pull request', () => {
    expect(commandComment({ repository: 'acme/ops', pullRequest: 12 }, 'restart api')).toBe('opsgate acme/ops#12 restart api');
    expect(commandComment({ repository: 'acme/ops', pullRequest: null }, 'x')).toBe('opsgate acme/ops x');
  });
  it('cuts to 100 code points without splitting a character', () => {
    const comment = commandComment({ repository: 'acme/ops', pullRequest: 12 }, '🚀'.repeat(120));
    expect(Array.from(comment)).toHaveLength(100);
    expect(comment.endsWith('🚀')).toBe(true);
  });
  it('always keeps the send reference whole at the end, however long the step name', () => {
    expect(commandComment({ repository: 'acme/ops', pullRequest: 12 }, 'restart api', '0123456789ab')).toBe('opsgate acme/ops#12 restart api [send 0123456789ab]');
    const comment = commandComment({ repository: 'acme/ops', pullRequest: 12 }, '🚀'.repeat(120), '0123456789ab');
    expect(Array.from(comment)).toHaveLength(100);
    expect(comment.endsWith('🚀 [send 0123456789ab]')).toBe(true);
  });
});

describe('pollDelays', () => {
  it('starts at 500 ms and grows by 2.5 up to a 60 s cap', () => {
    const delays = pollDelays(DEFAULT_POLL_SCHEDULE);
    const first = Array.from({ length: 9 }, () => delays.next().value);
    expect(first.slice(0, 4)).toEqual([500, 1250, 3125, 7812.5]);
    expect(first.at(-1)).toBe(60_000);
  });
});
