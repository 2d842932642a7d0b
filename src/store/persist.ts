/**
 * A store write that records an outcome, tried again a few times before giving
 * up: a blip of the store must not cost a job a re-run, or a delivery a re-send.
 * The caller leaves what still fails to the reclaim.
 */
const RETRY_DELAYS_MS = [100, 500, 2_000];

export async function persist<T>(write: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await write();
    } catch (err) {
      const delay = RETRY_DELAYS_MS[i];
      if (delay === undefined) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
