export { currentContext, newTraceId, runInContext, type WorkContext } from './context';
export { createLogger, type Logger, type LoggerSettings } from './logger';
export { PinoNestLogger } from './nest-logger';
export {
  COMMON_CONFIG,
  configFields,
  ConfigError,
  configPart,
  DATABASE_CONFIG,
  defaultWorkerId,
  env,
  loadConfig,
  opsPortConfig,
  isConfigGroup,
  type ConfigField,
  type ConfigGroup,
  type ConfigOf,
  type ConfigSpec,
} from './config';
export { waitFor, type WaitForOptions } from './wait-for';
export { PeriodicTask, type PeriodicTaskOptions } from './periodic-task';
export {
  describeNatsAuth,
  natsAuthFromEnv,
  natsAuthMethod,
  NATS_AUTH_VARIABLES,
  type NatsAuthMethod,
  type NatsAuthSettings,
  type NatsTlsSettings,
} from './nats-config';
export { runApp, type AppSpec, type CommonConfig } from './bootstrap';
export { APP_CONFIG, LOGGER, RuntimeModule, WORKER_ID } from './runtime.module';
export { cgroupCpuQuota, coresForReplica, processCores, REPLICA_CORES_CONFIG, replicaCoresFromEnv, type CoresOptions } from './cores';
