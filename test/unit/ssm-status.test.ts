import { describe, expect, it } from 'vitest';
import { countsTowardMaxErrors, mapInvocationStatus } from '../../src/adapters/aws/ssm-status.js';
import { summarizeStep } from '../../src/adapters/aws/ssm-summary.js';
import { REFUSED_REBOOT_EXIT } from '../../src/adapters/aws/ssm-wrapper.js';

describe('mapInvocationStatus', () => {
  it.each([
    ['Success', 'Success', 0, 'succeeded', 0, /code 0/],
    ['Failed', 'Failed', 3, 'failed', 3, /exited with code 3/],
    ['TimedOut', 'Execution Timed Out', 124, 'timed-out', 124, /timed out after 60s/],
    ['TimedOut', 'Delivery Timed Out', -1, 'error', null, /never started/],
    ['Failed', 'Undeliverable', -1, 'error', null, /undeliverable/],
    ['Cancelled', 'Terminated', -1, 'cancelled', null, /max-errors/],
    ['Failed', 'Access Denied', -1, 'error', null, /access denied/],
    ['Failed', 'Invalid Platform', -1, 'error', null, /Linux/],
    ['Cancelled', 'Cancelled', -1, 'cancelled', null, /cancelled/],
    ['Cancelling', 'Cancelling', -1, 'cancelled', null, /may still be running/],
    ['InProgress', 'In Progress', -1, 'cancelled', null, /no final status/],
  ])('%s / %s', (status, details, code, expected, exitCode, message) => {
    const outcome = mapInvocationStatus({ status, details, exitCode: code }, 60);
    expect(outcome.status).toBe(expected);
    expect(outcome.exitCode).toBe(exitCode);
    expect(outcome.message).toMatch(message);
  });

  it("reports a refused reboot code only with the wrapper's marker, as the step's own code", () => {
    const state = { status: 'Failed', details: 'Failed', exitCode: REFUSED_REBOOT_EXIT };
    expect(mapInvocationStatus(state, 60, 194)).toMatchObject({ status: 'failed', exitCode: 194, message: expect.stringMatching(/reboot.*refused/) });
    // 125 without the marker is the script's own exit code (e.g. the step script could not decode itself).
    expect(mapInvocationStatus(state, 60)).toMatchObject({ status: 'failed', exitCode: 125, message: 'exited with code 125' });
  });

  it('counts only Failed and Execution Timed Out toward max-errors', () => {
    expect(countsTowardMaxErrors({ status: 'Failed', details: 'Failed', exitCode: 1 })).toBe(true);
    expect(countsTowardMaxErrors({ status: 'TimedOut', details: 'Execution Timed Out', exitCode: 124 })).toBe(true);
    expect(countsTowardMaxErrors({ status: 'TimedOut', details: 'Delivery Timed Out', exitCode: -1 })).toBe(false);
    expect(countsTowardMaxErrors({ status: 'Failed', details: 'Undeliverable', exitCode: -1 })).toBe(false);
  });
});

describe('summarizeStep', () => {
  const base = { aborted: false, overran: false, cancelSent: false, stillRunning: [], cancelErrors: [], problems: [], notes: [] };
  it('names the instances that may still be running after a cancel', () => {
    const result = summarizeStep({
      ...base,
      aborted: true,
      cancelSent: true,
      stillRunning: ['i-0aaaaaaaaaaaaaaaa'],
      perTarget: [{ id: 'i-0aaaaaaaaaaaaaaaa', status: 'cancelled', exitCode: null, message: 'no final status' }],
    });
    expect(result.status).toBe('cancelled');
    expect(result.message).toMatch(/CancelCommand sent, but SSM gives no guarantee .* may still be running on: i-0aaaaaaaaaaaaaaaa/);
  });
  it('makes a problem (no instance matched) an error even with nothing else to say', () => {
    const result = summarizeStep({ ...base, perTarget: [], problems: ['no instances matched SSM target "web"'] });
    expect(result).toMatchObject({ status: 'error', message: 'no instances matched SSM target "web"' });
  });
  it('never reports success for a step SSM showed on no instance', () => {
    expect(summarizeStep({ ...base, perTarget: [] })).toMatchObject({ status: 'error', message: expect.stringMatching(/whether it ran anywhere is unknown/) });
  });
  it('fails a fleet step on the first failing instance, counting the others', () => {
    const result = summarizeStep({
      ...base,
      perTarget: [
        { id: 'i-1', status: 'succeeded', exitCode: 0, message: 'exited with code 0' },
        { id: 'i-2', status: 'failed', exitCode: 7, message: 'exited with code 7' },
        { id: 'i-3', status: 'cancelled', exitCode: null, message: 'not run: max-errors' },
      ],
    });
    expect(result).toMatchObject({ status: 'failed', exitCode: 7, message: '2 of 3 instance(s) did not succeed; first: i-2: exited with code 7' });
  });
});
