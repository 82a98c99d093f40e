import { describe, expect, it } from 'vitest';
import { caseFieldsOf } from './case-fields.ts';
import { deadlineLines, describeDeadline, reportingDeadlines } from './deadlines.ts';

const DISCOVERED = '2024-05-16T06:00:00.000Z';

describe('reportingDeadlines', () => {
  it('starts the 72-hour clock at discovery', () => {
    const fields = caseFieldsOf({ discovered_at: DISCOVERED });
    const [clock, ...rest] = reportingDeadlines(fields, new Date('2024-05-16T08:30:00Z'));

    expect(rest).toEqual([]);
    expect(clock?.id).toBe('incident_report');
    expect(clock?.due_at).toBe('2024-05-19T06:00:00.000Z');
    expect(clock?.state).toBe('open');
    expect(clock?.remaining_ms).toBe((69 * 60 + 30) * 60_000);
    expect(describeDeadline(clock!)).toBe('due 2024-05-19T06:00:00.000Z, 69 h 30 min left');
  });

  it('marks a clock overdue after its deadline', () => {
    const fields = caseFieldsOf({ discovered_at: DISCOVERED });
    const [clock] = reportingDeadlines(fields, new Date('2024-05-19T07:15:00Z'));

    expect(clock?.state).toBe('overdue');
    expect(describeDeadline(clock!)).toBe('due 2024-05-19T06:00:00.000Z, OVERDUE by 1 h 15 min');
  });

  it('stops the clock when the report was submitted', () => {
    const onTime = caseFieldsOf({ discovered_at: DISCOVERED, reported_at: '2024-05-18T00:00:00Z' });
    const late = caseFieldsOf({ discovered_at: DISCOVERED, reported_at: '2024-05-20T00:00:00Z' });
    const now = new Date('2024-06-01T00:00:00Z');

    expect(reportingDeadlines(onTime, now)[0]?.state).toBe('met');
    expect(reportingDeadlines(onTime, now)[0]?.remaining_ms).toBeNull();
    expect(reportingDeadlines(late, now)[0]?.state).toBe('late');
  });

  it('adds the 24-hour CIRCIA clock for a ransom payment', () => {
    const fields = caseFieldsOf({
      discovered_at: DISCOVERED,
      ransom_payment_at: '2024-05-17T10:00:00+02:00',
    });
    const clocks = reportingDeadlines(fields, new Date('2024-05-17T09:00:00Z'));

    expect(clocks.map((c) => c.id)).toEqual(['incident_report', 'ransom_payment_report']);
    expect(clocks[1]?.started_at).toBe('2024-05-17T08:00:00.000Z');
    expect(clocks[1]?.due_at).toBe('2024-05-18T08:00:00.000Z');
    expect(clocks[1]?.state).toBe('open');
  });

  it('runs no clock without a discovery time', () => {
    const fields = caseFieldsOf({ discovered_at: 'not a time' });

    expect(reportingDeadlines(fields)).toEqual([]);
    expect(deadlineLines([])).toEqual(['No discovery time recorded: no reporting clock runs.']);
  });
});

describe('caseFieldsOf', () => {
  it('reads organisation as a name or an object', () => {
    expect(caseFieldsOf({ organisation: 'Acme' }).organisation).toBe('Acme');

    const nested = caseFieldsOf({
      organisation: { name: 'Acme', contracts: ['W911-1'], contact: { email: 'ir@acme.test' } },
    });
    expect(nested.organisation).toBe('Acme');
    expect(nested.contracts).toEqual(['W911-1']);
    expect(nested.contact.email).toBe('ir@acme.test');
  });

  it('treats values of the wrong type as not set', () => {
    const fields = caseFieldsOf({
      organisation: 42,
      contracts: 'W911-1',
      defence_contractor: 'no',
      actions: [7, { action: 'Rotated keys', time: 'soon' }, 'Disabled user'],
    });

    expect(fields.organisation).toBeNull();
    expect(fields.contracts).toBeNull();
    expect(fields.defence_contractor).toBeNull();
    expect(fields.actions).toEqual([
      { time: null, action: 'Rotated keys' },
      { time: null, action: 'Disabled user' },
    ]);
  });
});
