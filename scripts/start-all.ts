/**
 * Local supervisor: runs every Framewire app as its own process, with
 * replicas per stage, and stops them all gracefully on SIGINT/SIGTERM.
 *
 *   node dist/scripts/start-all.js [--inference=2] [--extractor=1] ...
 *
 * Each replica is told how many replicas of its stage run here
 * (FW_REPLICAS_PER_HOST) and takes its share of the cores for its defaults:
 * with no tuning, one inference replica runs one frame per core.
 */
import { APPS, superviseApps, type App } from './supervisor';

function replicasFromArgs(argv: string[]): Record<App, number> {
  const counts = Object.fromEntries(APPS.map((a) => [a, 1])) as Record<App, number>;
  for (const arg of argv) {
    const m = /^--(\w+)=(\d+)$/.exec(arg);
    if (!m || !(APPS as readonly string[]).includes(m[1])) {
      process.stderr.write(`unknown argument ${arg}; use --<app>=<replicas> with app in ${APPS.join(', ')}\n`);
      process.exit(2);
    }
    counts[m[1] as App] = Number(m[2]);
  }
  if (counts.intake > 1) {
    process.stderr.write('intake binds one HTTP port; run more intake replicas behind a load balancer, each with its own FW_HTTP_PORT\n');
    process.exit(2);
  }
  return counts;
}

const pretty = process.stdout.isTTY === true && !process.env.FW_LOG_FORMAT;
const supervisor = superviseApps(replicasFromArgs(process.argv.slice(2)), { env: pretty ? { FW_LOG_FORMAT: 'pretty' } : {} });
process.on('SIGINT', () => supervisor.stop(0));
process.on('SIGTERM', () => supervisor.stop(0));
void supervisor.done.then((code) => process.exit(code));
