/**
 * The dashboard's bundle for tests that run from source: built once per test
 * process, the way `npm run build` builds it, into dist/ui, where the service
 * looks for it when it starts.
 */
import { buildDashboard } from '../../scripts/build-ui.js';
import { DASHBOARD_DIR } from '../../src/http/dashboard-assets.js';

let built: Promise<string> | undefined;

/** Builds the dashboard (once) and resolves with the directory it is in. */
export function dashboardBuilt(): Promise<string> {
  built ??= buildDashboard(DASHBOARD_DIR).then(() => DASHBOARD_DIR);
  return built;
}
