/**
 * The benign background of the demo scenario, planned day by day: people in office hours, CI
 * deployments on working days, the application around the clock, and AWS services acting.
 */
import { HOME_REGIONS, HUMANS, type HumanUser } from './environment.ts';
import { consoleRead, consoleSignIn, developerCliRead } from './human-actions.ts';
import type { Random } from './random.ts';
import type { ApiCall } from './record.ts';
import {
  type AppInstance,
  appRequest,
  appStart,
  autoscalingReplace,
  ciDeployment,
  configSweep,
} from './workload-actions.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Application requests per instance per hour, by day (07–22 UTC) and by night. */
const APP_RATE = { day: 40, night: 8 };
const INSTANCES_PER_REGION = 2;

/**
 * Plans the benign API calls of `days` days from `start` (epoch ms, a UTC midnight). The root
 * user never acts: rule packs, the built-in one included, rate any root activity high, and the
 * benign background must raise no high-severity finding.
 */
export function benignActivity(rng: Random, start: number, days: number, scale: number): ApiCall[] {
  const calls: ApiCall[] = [];
  const fleet = startFleet(rng, start, calls);
  for (let d = 0; d < days; d++) {
    const dayStart = start + d * DAY;
    if (isWorkingDay(dayStart)) {
      for (const user of HUMANS) calls.push(...officeDay(rng, user, dayStart, scale));
      calls.push(...ciDay(rng, dayStart, scale, d === 0));
    }
    calls.push(...machineDay(rng, fleet, dayStart, scale));
  }
  return calls;
}

function isWorkingDay(dayStart: number): boolean {
  const weekday = new Date(dayStart).getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/** Scales a count by `scale`, keeping at least one so every actor still appears. */
function scaled(rng: Random, min: number, max: number, scale: number): number {
  return Math.max(1, Math.round(rng.int(min, max) * scale));
}

function startFleet(rng: Random, start: number, calls: ApiCall[]): AppInstance[] {
  const fleet: AppInstance[] = [];
  for (const region of HOME_REGIONS) {
    for (let i = 0; i < INSTANCES_PER_REGION; i++) {
      const started = appStart(rng, region, start + rng.int(1_000, 120_000));
      fleet.push(started.instance);
      calls.push(...started.calls);
    }
  }
  return fleet;
}

function officeDay(rng: Random, user: HumanUser, dayStart: number, scale: number): ApiCall[] {
  const login = dayStart + 8 * HOUR + rng.int(0, 90 * 60_000);
  const { call, session } = consoleSignIn(rng, user, login);
  const calls = [call];
  for (let n = scaled(rng, 30, 80, scale); n > 0; n--) {
    calls.push(consoleRead(rng, session, login + rng.int(30_000, 8 * HOUR)));
  }
  if (user.accessKeyId !== null) {
    for (let n = scaled(rng, 5, 15, scale); n > 0; n--) {
      calls.push(developerCliRead(rng, user, dayStart + rng.int(9 * HOUR, 17 * HOUR)));
    }
  }
  return calls;
}

function ciDay(rng: Random, dayStart: number, scale: number, firstDay: boolean): ApiCall[] {
  const calls: ApiCall[] = [];
  const runs = scaled(rng, 2, 4, scale);
  for (let i = 0; i < runs; i++) {
    const time = dayStart + rng.int(9 * HOUR, 18 * HOUR);
    calls.push(...ciDeployment(rng, time, firstDay && i === 0));
  }
  return calls;
}

function machineDay(rng: Random, fleet: AppInstance[], dayStart: number, scale: number): ApiCall[] {
  const calls: ApiCall[] = [];
  for (let hour = 0; hour < 24; hour++) {
    const hourStart = dayStart + hour * HOUR;
    // Replace before the hour starts, so the new instance has credentials before its first request.
    if (hour === 3) replaceOnePerRegion(rng, fleet, hourStart - 20 * 60_000, calls);
    const rate = hour >= 7 && hour < 22 ? APP_RATE.day : APP_RATE.night;
    for (const instance of fleet) {
      for (let n = Math.round(rng.int(rate / 2, (rate * 3) / 2) * scale); n > 0; n--) {
        calls.push(appRequest(rng, instance, hourStart + rng.int(0, HOUR - 1)));
      }
    }
    for (const region of HOME_REGIONS)
      calls.push(...configSweep(rng, region, hourStart + rng.int(0, 600_000)));
  }
  return calls;
}

/** Auto Scaling refreshes one instance per region each night, so the app restarts and reads its secret. */
function replaceOnePerRegion(
  rng: Random,
  fleet: AppInstance[],
  time: number,
  calls: ApiCall[],
): void {
  for (const region of HOME_REGIONS) {
    const index = fleet.findIndex((instance) => instance.region === region);
    const old = fleet[index];
    if (old === undefined) continue;

    const launched = time + rng.int(0, 600_000);
    calls.push(...autoscalingReplace(rng, region, launched, old.id));
    const started = appStart(rng, region, launched + rng.int(60_000, 180_000));
    calls.push(...started.calls);
    // The new instance goes to the back, so the next night replaces the other one.
    fleet.splice(index, 1);
    fleet.push(started.instance);
  }
}
