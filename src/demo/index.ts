/** The demo scenario generator and the benign stream the benchmark uses. */

export {
  type BenignStreamOptions,
  generateBenignRecords,
  writeBenignDeliveryFiles,
} from './benign-stream.ts';
export type { DeliveryFile } from './delivery.ts';
export {
  type AttackStepTruth,
  DEFAULT_START,
  generateScenario,
  type ScenarioOptions,
  type ScenarioResult,
} from './scenario.ts';
