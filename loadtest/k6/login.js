// Scenario 1, the login storm: USERS seeded accounts log in with email and password, VUS clients
// starting together (each takes the next account as soon as its last one is logged in). A
// refused attempt (503 `overloaded`, 429) is retried after its Retry-After, as a client would,
// until MAX_DURATION ends the storm. Run by `loadtest/run login`.
import { sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { common, login, statusThresholds, summaryTo, users } from './lib.js';

const vus = Math.min(users, parseInt(__ENV.VUS || '1000'));

export const options = Object.assign({}, common, {
  scenarios: {
    storm: { executor: 'shared-iterations', vus, iterations: users, maxDuration: __ENV.MAX_DURATION || '10m' },
  },
  thresholds: Object.assign(statusThresholds('login_status'), { login_user_ms: ['max>=0'] }),
});

const statuses = new Counter('login_status');
const attempts = new Counter('login_attempts');
const loggedIn = new Counter('login_users_ok');
const gaveUp = new Counter('login_users_failed');
// From the user's first attempt to the 200, retries included.
const untilIn = new Trend('login_user_ms', true);

export default function () {
  const i = exec.scenario.iterationInTest;
  const started = Date.now();
  for (;;) {
    const { response } = login(i);
    statuses.add(1, { status: String(response.status) });
    attempts.add(1);
    if (response.status === 200) {
      loggedIn.add(1);
      untilIn.add(Date.now() - started);
      return;
    }
    if (response.status !== 503 && response.status !== 429) {
      gaveUp.add(1);
      return;
    }
    // Retry-After plus up to a second of jitter, so refused clients do not return in step.
    sleep(parseInt(response.headers['Retry-After'] || '1') + Math.random());
  }
}

export function handleSummary(summary) {
  return summaryTo(summary);
}
