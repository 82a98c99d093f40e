import { describe, expect, it } from 'vitest';
import { type HuntResult, huntCommand } from '../bench/hunt.ts';
import { sigmaSection } from '../bench/sigma-page.ts';

const MACHINE = { cpu: 'test', cores: 2, memory_bytes: 1, platform: 'linux' };

function huntResult(huntSeconds: number | null): HuntResult {
  return {
    date: '2026-12-05T00:00:00.000Z',
    command: 'test',
    machine: MACHINE as HuntResult['machine'],
    node: 'v20',
    events: 1000,
    runs: [
      {
        rules_name: 'built-in pack',
        exit_code: huntSeconds === null ? 1 : 0,
        rules_run: huntSeconds === null ? null : 68,
        detections_added: huntSeconds === null ? null : 5,
        hunt_seconds: huntSeconds,
        wall_seconds: 2,
        cpu_seconds: 3,
        vmhwm_bytes: 1024 * 1024,
        load_average: [1, 1],
      },
    ],
  };
}

describe('hunt benchmark page', () => {
  it('shows a hunt that printed no result', () => {
    const lines = sigmaSection([], [huntResult(null)], []);
    const row = lines.find((line) => line.startsWith('| 2026-12-05'));

    expect(row).toContain('| n/a | n/a | failed (exit 1) |');
  });

  it('shows a finished hunt', () => {
    const lines = sigmaSection([], [huntResult(1.25)], []);
    const row = lines.find((line) => line.startsWith('| 2026-12-05'));

    expect(row).toContain('| 68 | 5 | 1.3 |');
  });
});

describe('hunt benchmark command', () => {
  it('names the seed of a generated case', () => {
    expect(huntCommand(200_000, 1, null)).toBe(
      'npm run bench -- --only hunt --events 200000 --seed 1',
    );
  });

  it('names a given case', () => {
    expect(huntCommand(1_000_000, 1, '/tmp/case')).toBe(
      'node --import tsx bench/hunt.ts --events 1000000 --case /tmp/case',
    );
  });
});
