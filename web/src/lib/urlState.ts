/** The app's state in the URL hash, so a reload or a shared link restores the view. Pure. */

export type View = "metrics" | "scenarios" | "compare" | "frame";
export const VIEW_NAMES: readonly View[] = ["metrics", "scenarios", "compare", "frame"];

export interface AppState {
  view: View;
  project: string | null;
  dataset: string | null;
  /** One or two inference sets; the first is the base. */
  sets: string[];
  /** null: the project's default. */
  conf: number | null;
  iou: number | null;
  overrides: Record<string, number>;
  /** null: "All Frames". */
  segment: string | null;
  /** The frame the Frame view shows. */
  frame: string | null;
}

export const EMPTY_STATE: AppState = {
  view: "metrics", project: null, dataset: null, sets: [], conf: null, iou: null, overrides: {}, segment: null, frame: null,
};

function unit(text: string | null): number | null {
  if (text === null || text.trim() === "") return null;
  const v = Number(text);
  return Number.isFinite(v) && v >= 0 && v <= 1 ? v : null;
}

function overridesOf(text: string | null): Record<string, number> {
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v === "number" && v >= 0 && v <= 1) out[k] = v;
    }
    return out;
  } catch {
    return {};
  }
}

/** The state in a hash (`#view=metrics&project=p&set=a&set=b&conf=0.3`); unknown or bad values fall back. */
export function parseHash(hash: string): AppState {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  const view = q.get("view");
  return {
    view: VIEW_NAMES.includes(view as View) ? (view as View) : "metrics",
    project: q.get("project") || null,
    dataset: q.get("dataset") || null,
    sets: q.getAll("set").filter((s) => s !== "").slice(0, 2),
    conf: unit(q.get("conf")),
    iou: unit(q.get("iou")),
    overrides: overridesOf(q.get("overrides")),
    segment: q.get("segment") || null,
    frame: q.get("frame") || null,
  };
}

/** The hash of a state (defaults left out), without the leading "#". */
export function formatHash(state: AppState): string {
  const q = new URLSearchParams();
  q.set("view", state.view);
  if (state.project) q.set("project", state.project);
  if (state.dataset) q.set("dataset", state.dataset);
  for (const s of state.sets) q.append("set", s);
  if (state.conf !== null) q.set("conf", String(state.conf));
  if (state.iou !== null) q.set("iou", String(state.iou));
  if (Object.keys(state.overrides).length > 0) q.set("overrides", JSON.stringify(state.overrides));
  if (state.segment) q.set("segment", state.segment);
  if (state.frame) q.set("frame", state.frame);
  return q.toString();
}
