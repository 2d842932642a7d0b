/**
 * Live data by polling: load now, then again `everyMs` after each answer (never
 * two at once, never more often than once a second), and not at all while the
 * tab is hidden.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

export const MIN_POLL_MS = 1_000;

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  /** Load again now (after a change the page made). */
  refresh(): void;
}

/**
 * Polls `load`. `key` names what is loaded: when it changes, the data of the old
 * key is dropped and polling starts over for the new one.
 */
export function usePoll<T>(load: () => Promise<T>, everyMs: number, key = ''): Polled<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: unknown }>({ key });
  const latest = useRef(load);
  latest.current = load;
  const kick = useRef<() => void>(() => undefined);

  useEffect(() => {
    let alive = true;
    let running = false;
    let again = false;
    let timer: number | undefined;
    const tick = async () => {
      window.clearTimeout(timer);
      if (running) {
        again = true;
        return;
      }
      running = true;
      if (!document.hidden) {
        try {
          const data = await latest.current();
          if (alive) setState({ key, data });
        } catch (error) {
          if (alive) setState((s) => ({ key, data: s.key === key ? s.data : undefined, error }));
        }
      }
      running = false;
      if (!alive) return;
      if (again) {
        again = false;
        void tick();
      } else timer = window.setTimeout(tick, Math.max(MIN_POLL_MS, everyMs));
    };
    const onVisibility = () => {
      if (!document.hidden) void tick();
    };
    kick.current = () => void tick();
    void tick();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      alive = false;
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [key, everyMs]);

  const current = state.key === key ? state : { key, data: undefined, error: undefined };
  return { data: current.data, error: current.error, refresh: () => kick.current() };
}
