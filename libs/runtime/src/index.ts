export { currentContext, newTraceId, runInContext, type WorkContext } from './context';
export { createLogger, type Logger, type LoggerSettings } from './logger';
export { PinoNestLogger } from './nest-logger';
export {
  COMMON_CONFIG,
  ConfigError,
  configPart,
  DATABASE_CONFIG,
  defaultWorkerId,
  env,
  loadConfig,
  opsPortConfig,
  type ConfigOf,
  type ConfigSpec,
} from './config';
export { waitFor, type WaitForOptions } from './wait-for';
export { runApp, type AppSpec, type CommonConfig } from './bootstrap';
export { APP_CONFIG, LOGGER, RuntimeModule, WORKER_ID } from './runtime.module';
