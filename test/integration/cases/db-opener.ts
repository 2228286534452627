/**
 * Child process for the migration race: loads everything, says "ready", waits for "go" on stdin,
 * then opens (creating and migrating) the database given as argv[2] and says "opened".
 */
import { openCaseDb } from '../../../src/main/cases/open.ts';

process.stdout.write('ready\n');
process.stdin.once('data', () => {
  try {
    openCaseDb({ path: process.argv[2], actor: 'racer' }).sql.close();
    process.stdout.write('opened\n');
    process.exit(0);
  } catch (err) {
    process.stdout.write(`failed: ${(err as Error).message}\n`);
    process.exit(1);
  }
});
