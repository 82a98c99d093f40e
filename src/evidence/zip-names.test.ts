import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_RECORDED_MEMBER_LENGTH, recordedMemberName, zipNameProblem } from './zip-names.ts';

describe('recordedMemberName', () => {
  it('keeps a name up to the limit', () => {
    const name = 'a/'.repeat(MAX_RECORDED_MEMBER_LENGTH / 2);

    expect(recordedMemberName(name)).toBe(name);
  });

  it('shortens a longer name to its start and the digest of the whole', () => {
    const name = `${'a/'.repeat(MAX_RECORDED_MEMBER_LENGTH)}log.json`;
    const digest = createHash('sha256').update(name).digest('hex');

    expect(recordedMemberName(name)).toBe(
      `${name.slice(0, 512)}…(${name.length} characters, SHA-256 ${digest})`,
    );
  });

  it('never records a name as the recorded name of another', () => {
    const long = `${'a/'.repeat(MAX_RECORDED_MEMBER_LENGTH)}log.json`;
    const lookalike = recordedMemberName(long);
    const digest = createHash('sha256').update(lookalike).digest('hex');

    const recorded = recordedMemberName(lookalike);

    expect(lookalike.length).toBeLessThanOrEqual(MAX_RECORDED_MEMBER_LENGTH);
    expect(recorded).not.toBe(lookalike);
    expect(recorded).toBe(
      `${lookalike.slice(0, 512)}…(${lookalike.length} characters, SHA-256 ${digest})`,
    );
  });

  it('never cuts a surrogate pair in two', () => {
    const name = `${'a'.repeat(511)}${'\u{1f600}'.repeat(MAX_RECORDED_MEMBER_LENGTH)}`;

    const recorded = recordedMemberName(name);

    expect(recorded.startsWith(`${'a'.repeat(511)}…`)).toBe(true);
    expect(Buffer.from(recorded).toString()).toBe(recorded);
  });
});

describe('zipNameProblem', () => {
  it('accepts a relative path', () => {
    expect(zipNameProblem('AWSLogs/111122223333/CloudTrail/log.json.gz')).toBeNull();
  });

  it('names the problem of an unsafe path', () => {
    expect(zipNameProblem('../evil')).toMatch(/`\.\.` segment/);
    expect(zipNameProblem('/etc/passwd')).toMatch(/absolute/);
    expect(zipNameProblem('C:/boot.ini')).toMatch(/drive letter/);
    expect(zipNameProblem('a\0b')).toMatch(/NUL/);
  });
});
