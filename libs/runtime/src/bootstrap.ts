import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Health } from '@framewire/observability';
import { ConfigError, defaultWorkerId } from './config';
import { createLogger, type Logger } from './logger';
import { PinoNestLogger } from './nest-logger';

/** The config fields every app has (COMMON_CONFIG). */
export interface CommonConfig {
  logLevel: string;
  logFormat: 'json' | 'pretty' | 'auto';
  workerId?: string | undefined;
  shutdownTimeoutMs: number;
}

export interface AppSpec<C extends CommonConfig> {
  stage: string;
  /** Read and validate the config; throw ConfigError naming the variable. */
  loadConfig(): C;
  /** Build the root module from the validated config. */
  module(config: C, logger: Logger, workerId: string): unknown;
  /** Serve HTTP on this port; worker-only apps return null. */
  httpPort?(config: C): number | null;
  /** Called once the app is listening, e.g. to log where. */
  onReady?(app: INestApplicationContext, config: C, logger: Logger): void | Promise<void>;
  configureHttp?(app: INestApplication, config: C, logger: Logger): void;
}

/**
 * Start one app: validated config (a bad variable stops it with a message
 * naming the variable), a JSON logger, Nest with shutdown hooks, and a
 * bounded graceful shutdown on SIGTERM/SIGINT that exits 0.
 */
export async function runApp<C extends CommonConfig>(spec: AppSpec<C>): Promise<INestApplicationContext> {
  let config: C;
  try {
    config = spec.loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${spec.stage}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const workerId = config.workerId ?? defaultWorkerId(spec.stage);
  const logger = createLogger({ stage: spec.stage, workerId, level: config.logLevel, format: config.logFormat });
  const port = spec.httpPort?.(config) ?? null;
  let app: INestApplicationContext;
  try {
    const rootModule = spec.module(config, logger, workerId);
    const nestLogger = new PinoNestLogger(logger.child({ context: 'nest' }));
    if (port !== null) {
      const http = await NestFactory.create(rootModule as never, { logger: nestLogger, bodyParser: true, abortOnError: false });
      spec.configureHttp?.(http, config, logger);
      app = http;
    } else {
      app = await NestFactory.createApplicationContext(rootModule as never, { logger: nestLogger, abortOnError: false });
    }
    await app.init();
    if (port !== null) await (app as INestApplication).listen(port, process.env.FW_HTTP_HOST ?? '0.0.0.0');
  } catch (err) {
    logger.fatal({ err }, `${spec.stage} failed to start`);
    await new Promise((r) => setTimeout(r, 100));
    process.exit(1);
  }
  installShutdown(app, logger, config.shutdownTimeoutMs);
  await spec.onReady?.(app, config, logger);
  // Readiness turns on once every module has started (consumers pulling, servers listening).
  tryGet(app, Health)?.markServing();
  logger.info({ http_port: port }, `${spec.stage} started`);
  return app;
}

function installShutdown(app: INestApplicationContext, logger: Logger, timeoutMs: number): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal, timeout_ms: timeoutMs }, 'shutting down gracefully');
    const force = setTimeout(() => {
      logger.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs + 5000);
    force.unref();
    app
      .close()
      .then(() => {
        logger.info('stopped');
        logger.flush();
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

function tryGet<T>(app: INestApplicationContext, token: abstract new (...args: never[]) => T): T | null {
  try {
    return app.get(token, { strict: false });
  } catch {
    return null;
  }
}
