/** Behaviour analytics that run over the whole case after ingest. */
export {
  BURST_AT_NEW_HOUR_ID,
  type BurstAtNewHourOptions,
  burstAtNewHour,
} from './burst-at-new-hour.ts';
export {
  CONSOLE_MFA_ID,
  type ConsoleMfaOptions,
  consoleLoginWithoutUsualMfa,
} from './console-login-without-usual-mfa.ts';
export {
  KEY_NEW_SOURCE_ID,
  type KeyNewSourceOptions,
  longTermKeyNewSource,
} from './long-term-key-new-source.ts';
export {
  ANALYTICS,
  type AnalyticsResult,
  type AnalyticsStore,
  runAnalytics,
  storeAnalyticsResult,
} from './run-analytics.ts';
export type { Analytic } from './types.ts';
