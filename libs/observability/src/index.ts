export { Health, type CheckResult, type HealthCheck, type Readiness } from './health';
export { Metrics, type ActivitySnapshot, type SettleOutcome } from './metrics';
export { ObservabilityModule, OBSERVABILITY_OPTIONS, type ObservabilityOptions } from './observability.module';
export { OpsServer } from './ops-server';
