/** How the NER view lays a sentence out: its tokens cut into plain runs and entities. */

export interface SpanEntity {
  type: string;
  start: number;
  end: number;
  matched: boolean;
}

/** A run of tokens: plain text, or one entity's tokens. */
export type TokenRun =
  | { kind: "text"; tokens: string[]; start: number }
  | { kind: "entity"; tokens: string[]; start: number; entity: SpanEntity };

/**
 * The tokens of a sentence as runs, in order: each entity's tokens together (entities
 * sorted by start; one that overlaps an earlier one, which flat tags do not make, keeps
 * only its tokens after it), the rest as plain runs.
 */
export function tokenRuns(tokens: readonly string[], entities: readonly SpanEntity[]): TokenRun[] {
  const sorted = [...entities].sort((a, b) => a.start - b.start || a.end - b.end);
  const runs: TokenRun[] = [];
  let at = 0;
  for (const entity of sorted) {
    const start = Math.max(entity.start, at);
    const end = Math.min(entity.end, tokens.length);
    if (end <= start) continue;
    if (start > at) runs.push({ kind: "text", tokens: tokens.slice(at, start), start: at });
    runs.push({ kind: "entity", tokens: tokens.slice(start, end), start, entity });
    at = end;
  }
  if (at < tokens.length) runs.push({ kind: "text", tokens: tokens.slice(at), start: at });
  return runs;
}

/** What an entity's highlight says: matched, missed (a true entity) or false (a predicted one). */
export function entityOutcome(side: "truth" | "predicted", matched: boolean): "match" | "missed" | "false" {
  if (matched) return "match";
  return side === "truth" ? "missed" : "false";
}
