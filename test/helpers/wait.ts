/** Polling with a deadline: tests wait for a condition, never for a fixed time. */
export { waitFor } from '../../src/store/conformance/wait.js';
