/** Jobs and claiming, as the conformance suite makes them; other tests use them too. */
export {
  claimN,
  claimOne,
  clockPast,
  deadLetterJobs,
  job,
  TTL,
} from '../../src/store/conformance/jobs.js';
