/** A coloured label for a state: a destination's, an event's or a delivery's. */

const LABELS: Record<string, string> = {
  closed: 'delivering',
  open: 'breaker open',
  paused: 'paused',
  dead_lettered: 'dead-lettered',
  dead: 'dead-lettered',
};

const TONES: Record<string, string> = {
  closed: 'good',
  delivered: 'good',
  healthy: 'good',
  open: 'bad',
  failed: 'bad',
  dead_lettered: 'bad',
  unhealthy: 'bad',
  dead: 'bad',
  lost: 'bad',
  paused: 'warn',
  retrying: 'warn',
  delivering: 'active',
  queued: 'neutral',
  duplicate: 'neutral',
};

export function StateBadge(props: { state: string }) {
  const tone = TONES[props.state] ?? 'neutral';
  return (
    <span class={`badge badge-${tone}`} data-state={props.state}>
      {LABELS[props.state] ?? props.state.replace(/_/g, ' ')}
    </span>
  );
}
