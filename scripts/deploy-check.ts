/**
 * Validates the deployment files offline, with no network and no container
 * engine: docker-compose.yml, the kustomizations under deploy/ (rendered here,
 * not by kubectl), the NACK Streams against the topology the apps provision,
 * the KEDA autoscaler, and every variable they set against
 * docs/configuration.md and the apps' own config checks.
 *
 *   npm run deploy:check                 # this repository
 *   npm run deploy:check -- --root DIR   # another checkout (tests use copies)
 *
 * Prints one line per problem (file: object: path: message) and exits 1 when
 * there is any.
 */
import { resolve } from 'node:path';
import { checkDeploy } from './deploy/check';
import { formatProblem } from './deploy/problems';

async function main(argv: string[]): Promise<number> {
  let root = resolve(__dirname, '..');
  if (root.endsWith('/dist')) root = resolve(root, '..');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && argv[i + 1] !== undefined) root = resolve(argv[++i]);
    else {
      process.stderr.write(`unknown argument ${argv[i]}; usage: deploy-check [--root DIR]\n`);
      return 2;
    }
  }
  const { problems, checked } = await checkDeploy(root);
  for (const p of problems) process.stdout.write(`✗ ${formatProblem(p)}\n`);
  if (problems.length > 0) {
    process.stdout.write(`deploy check: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${checked.join(', ')}\n`);
    return 1;
  }
  process.stdout.write(`deploy check: ok: ${checked.join(', ')}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`deploy check failed to run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
