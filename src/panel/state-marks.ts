/**
 * Each state's mark, wherever keys are drawn in characters (the terminal, the page): a shape of its own
 * for every state, so that ringing, in a call and calling out — which may share one lamp color — differ
 * without color (a still picture, a color-blind eye, a monochrome terminal).
 */
import type { LampSituation } from '../blf/lamp-policy.ts';

export const STATE_MARKS: Readonly<Record<LampSituation, string>> = {
  idle: '●',
  ringing: '◉',
  calling: '▲',
  busy: '■',
  held: '‖',
  offline: '○',
  unknown: '?',
  refused: '!',
  error: '✗',
};
