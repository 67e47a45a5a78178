/**
 * Topic names and topic filters (MQTT 5.0 section 4.7, 3.1.1 section 4.7). Both are UTF-8
 * strings of at least one character without U+0000; a name has no wildcard, a filter uses
 * them only as whole levels, `#` last. Well-formed UTF-8 itself is checked on the raw bytes by
 * the codec (utf8.ts), since the parser's decoding replaces bad sequences.
 */

export type TopicProblem =
  /** MQTT-4.7.3-1 */
  | 'empty'
  /** MQTT-4.7.3-2 (3.1.1: MQTT-1.5.3-2): a malformed packet, not just a bad topic. */
  | 'null-character'
  /** MQTT-3.3.2-2, MQTT-4.7.0-1 */
  | 'wildcard-in-name'
  /** MQTT-4.7.1-2: `#` alone or after `/`, and last. */
  | 'misplaced-multi-level-wildcard'
  /** MQTT-4.7.1-3: `+` occupies a whole level. */
  | 'misplaced-single-level-wildcard';

export function topicNameProblem(name: string): TopicProblem | undefined {
  if (name.length === 0) return 'empty';
  if (name.includes('\u0000')) return 'null-character';
  if (name.includes('+') || name.includes('#')) return 'wildcard-in-name';
  return undefined;
}

export function topicFilterProblem(filter: string): TopicProblem | undefined {
  if (filter.length === 0) return 'empty';
  if (filter.includes('\u0000')) return 'null-character';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return 'misplaced-multi-level-wildcard';
    if (level.includes('+') && level !== '+') return 'misplaced-single-level-wildcard';
  }
  return undefined;
}

/** MQTT 5.0 4.8.2: `$share/{ShareName}/{filter}` names a shared subscription. */
export function isSharedFilter(filter: string): boolean {
  return filter.startsWith('$share/');
}
