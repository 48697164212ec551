/**
 * Embeddings: a dataset's frames or crops placed by a 2D projection (UMAP or PCA) of one
 * embedding model, colored by what the server says each point is (class, outcome,
 * confusion, frame precision / recall / F1 at the app's thresholds, metadata, metrics),
 * with the segment and query bar applied (points outside them dimmed or hidden, never
 * selected). Lasso or box a cluster, then look at it (gallery), narrow it by the current
 * categories, save its frames as a segment or add its elements to an issue.
 *
 * Loaded on demand (App.tsx lazy-imports it), so the WebGL code stays out of the other views.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, api, isAbort } from "../api/client";
import { embeddingsApi, type ProjectionKey } from "../api/embeddings";
import { EmbeddingScatter, type EmbeddingScatterHandle, type ScatterMode } from "../components/EmbeddingScatter";
import { EmbeddingScatterLegend } from "../components/EmbeddingScatterLegend";
import { PointPreview } from "../components/EmbeddingScatterPreview";
import { SelectionGallery } from "../components/SelectionGallery";
import { ErrorPanel, Loading } from "../components/Status";
import { useApi } from "../hooks/useApi";
import { useColorScheme } from "../hooks/useColorScheme";
import { announceSegmentsChanged } from "../hooks/useSegmentsChanged";
import {
  categoricalLegend, categoryCounts, chooseModel, combineSelections, colorByOptions, decodePoints, describePoint, filterByCategory, issueElementOf, pointStyle,
  selectInBox, selectInPolygon, uniqueFrames, type EmbeddingKind, type OutOfScope, type Point, type PointColorsOut, type ProjectedElement, type ProjectionJob, type ProjectionMethod, type SelectionCombine, vectorCount,
} from "../lib/embedding";
import { formatCount, formatThreshold } from "../lib/format";
import { ALL_FRAMES, classColors, type ViewContext } from "./context";
import { ThresholdPanel } from "./ThresholdPanel";
import "../components/embedding.css";

const POLL_MS = 700;
const ACTIVE = new Set(["queued", "running"]);
const NEW_ISSUE = "\u0000new";

/** The embedding view's own URL state (AppState's `emb*` and `colorBy`). */
export interface EmbeddingState {
  model: string | null;
  kind: EmbeddingKind;
  method: ProjectionMethod;
  colorBy: string;
}

function errorText(e: unknown): string {
  return e instanceof ApiError ? e.detail : String((e as Error)?.message ?? e);
}

export default function EmbeddingView({ ctx, state, onState }: { ctx: ViewContext; state: EmbeddingState; onState: (patch: Partial<EmbeddingState>) => void }) {
  const p = ctx.project.name;
  const d = ctx.dataset;
  const scheme = useColorScheme();
  const models = useApi(JSON.stringify(["embeddings", p, d]), (signal) => embeddingsApi.models(p, d, { signal }));
  const chosen = models.data ? chooseModel(models.data, state.model, state.kind) : null;
  const model = chosen?.model ?? null;
  // A model without vectors of the kind shown has nothing to project: the view says so.
  const projectable = chosen !== null && vectorCount(chosen, state.kind) > 0;
  const key: ProjectionKey | null = model && projectable ? { embedding: model, kind: state.kind, method: state.method } : null;
  const keyText = key ? JSON.stringify([p, d, key.embedding, key.kind, key.method]) : null;

  // ---------------------------------------------------------------- the projection and its job
  const info = useApi(keyText && JSON.stringify(["projection", keyText]), (signal) => embeddingsApi.projection(p, d, key!, { signal }));
  const missing = info.error instanceof ApiError && info.error.status === 404;
  const [job, setJob] = useState<ProjectionJob | null>(null);
  const [jobError, setJobError] = useState<string | null>(null);
  const reloadInfo = info.reload;
  // The latest job of this projection (one may be running from before), polled while active.
  useEffect(() => {
    if (!key) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let watched = false;
    setJob(null);
    setJobError(null);
    const poll = async () => {
      try {
        const next = await embeddingsApi.job(p, d, key, { signal: controller.signal });
        setJob(next);
        if (ACTIVE.has(next.state)) {
          watched = true;
          timer = setTimeout(poll, POLL_MS);
        } else if (watched) {
          watched = false;
          if (next.state === "done") reloadInfo();
        }
      } catch (e) {
        if (isAbort(e)) return;
        if (e instanceof ApiError && e.status === 404) setJob(null);
        else setJobError(errorText(e));
      }
    };
    pollRef.current = () => {
      if (timer !== undefined) clearTimeout(timer);
      watched = true;
      void poll();
    };
    void poll();
    return () => {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [keyText]);
  const pollRef = useRef<() => void>(() => {});
  const compute = async () => {
    if (!key) return;
    setJobError(null);
    try {
      setJob(await embeddingsApi.compute(p, d, key));
      pollRef.current();
    } catch (e) {
      setJobError(errorText(e));
    }
  };

  const current = info.data && info.dataKey === JSON.stringify(["projection", keyText]) && !missing ? info.data : null;
  const points = useApi(current ? JSON.stringify(["points", keyText, current.computed_at]) : null, async (signal) =>
    decodePoints(await embeddingsApi.points(p, d, key!, { signal }), current!.count),
  );
  const xy = points.data && points.dataKey === JSON.stringify(["points", keyText, current?.computed_at]) ? points.data : null;

  // ---------------------------------------------------------------- colors
  const frames = useApi(JSON.stringify(["frame-columns", p, d]), (signal) => api.frames(p, d, { limit: 1 }, { signal }));
  const metrics = useApi(JSON.stringify(["element-metrics", p, d]), (signal) => api.elementMetrics(p, d, { signal }));
  const metadataKeys = useMemo(() => Object.keys(frames.data?.frames[0] ?? {}).filter((k) => k !== "image_url"), [frames.data]);
  const withSets = ctx.sets.length > 0;
  const options = useMemo(() => colorByOptions(state.kind, metadataKeys, metrics.data?.metrics ?? [], withSets), [state.kind, metadataKeys, metrics.data, withSets]);
  // The color-by of the URL once the options are known (a key or metric the dataset lacks:
  // outcome, or the first option without inference sets).
  const optionsKnown = (frames.data !== null || frames.error !== null) && (metrics.data !== null || metrics.error !== null);
  const colorBy = options.some((o) => o.value === state.colorBy) ? state.colorBy : withSets ? "outcome" : (options.find((o) => o.group === "Metadata") ?? options[0])!.value;
  const colorTitle = options.find((o) => o.value === colorBy)?.title ?? colorBy;
  const point = {
    inferenceSet: ctx.sets[0], conf: ctx.conf, iou: ctx.iou,
    segment: ctx.segment === ALL_FRAMES ? undefined : ctx.segment, query: ctx.query ?? undefined,
  };
  const colorsKey = current && optionsKnown ? JSON.stringify(["colors", keyText, current.computed_at, colorBy, point]) : null;
  const colors = useApi(colorsKey, (signal) => embeddingsApi.colors(p, d, key!, { colorBy, ...point }, { signal }));
  const [opacityChecked, setOpacityByConfidence] = useState(false);
  const opacityByConfidence = opacityChecked && withSets;
  const opacityKey = current && opacityByConfidence ? JSON.stringify(["colors", keyText, current.computed_at, "confidence", point]) : null;
  const opacity = useApi(opacityKey, (signal) => embeddingsApi.colors(p, d, key!, { colorBy: "confidence", ...point }, { signal }));
  const [hidden, setHidden] = useState<ReadonlySet<number>>(new Set());
  const [outOfScope, setOutOfScope] = useState<OutOfScope>("dim");
  useEffect(() => setHidden(new Set()), [colorBy, keyText]);
  const palette = useMemo(() => classColors(ctx.project), [ctx.project]);
  const toggleCategory = useCallback((code: number) => setHidden((h) => {
    const next = new Set(h);
    if (next.has(code)) next.delete(code);
    else next.add(code);
    return next;
  }), []);
  const showAll = useCallback(() => setHidden(new Set()), []);
  const colorData = colors.data && xy && (colors.data.codes ?? colors.data.values ?? []).length === xy.length / 2 ? colors.data : null;
  const styled = useMemo(() => {
    if (!xy || !colorData) return null;
    const values = opacityByConfidence && opacity.data && opacity.dataKey === opacityKey ? opacity.data.values : null;
    return pointStyle(xy.length / 2, { colors: colorData, classColors: palette, hidden, outOfScope, opacity: values, scheme });
  }, [xy, colorData, palette, hidden, outOfScope, opacityByConfidence, opacity.data, opacity.dataKey, opacityKey, scheme]);
  const outOfScopeCount = useMemo(() => colorData?.in_scope?.filter((s) => !s).length ?? 0, [colorData]);

  // ---------------------------------------------------------------- selection
  const [mode, setMode] = useState<ScatterMode>("lasso");
  const [selected, setSelected] = useState<Uint32Array | null>(null);
  const [galleryOpen, setGalleryOpen] = useState(false);
  const [message, setMessage] = useState<{ text: string; error?: boolean } | null>(null);
  useEffect(() => { setSelected(null); setGalleryOpen(false); }, [keyText, current?.computed_at]);
  const onSelect = useCallback((shape: { kind: "lasso"; polygon: Point[] } | { kind: "box"; a: Point; b: Point }, how: SelectionCombine) => {
    if (!xy || !styled) return;
    const found = shape.kind === "lasso" ? selectInPolygon(xy, shape.polygon, styled.selectable) : selectInBox(xy, shape.a, shape.b, styled.selectable);
    setSelected((current) => combineSelections(current, found, how));
    setMessage(null);
  }, [xy, styled]);
  // A click selects the point; with Shift it joins the selection (or leaves it).
  const onPick = useCallback((index: number, add: boolean) => {
    setSelected((current) => {
      if (!add || !current) return Uint32Array.of(index);
      const at = current.indexOf(index);
      if (at >= 0) return Uint32Array.from([...current.subarray(0, at), ...current.subarray(at + 1)]);
      return Uint32Array.from([...current, index]).sort();
    });
    setMessage(null);
  }, []);
  // A point hidden since (legend toggle, scope) leaves the selection.
  useEffect(() => {
    if (!selected || !styled) return;
    const kept = selected.filter((i) => styled.selectable[i] === 1);
    if (kept.length !== selected.length) setSelected(kept);
  }, [styled]);
  const resolve = useCallback((indices: ArrayLike<number>, signal?: AbortSignal) => embeddingsApi.elements(p, d, key!, indices, { signal }), [p, d, keyText]);

  // ---------------------------------------------------------------- hover
  const [hover, setHover] = useState<{ index: number; at: Point; area: Point } | null>(null);
  const [hovered, setHovered] = useState<ProjectedElement | null>(null);
  const onHover = useCallback((index: number, at: Point | null, area: Point | null) => setHover(index >= 0 && at && area ? { index, at, area } : null), []);
  useEffect(() => {
    setHovered(null);
    if (!hover || !key) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      resolve([hover.index], controller.signal).then((found) => { if (!controller.signal.aborted) setHovered(found[0] ?? null); }, () => {});
    }, 60);
    return () => { clearTimeout(timer); controller.abort(); };
  }, [hover?.index, keyText]);

  const scatter = useRef<EmbeddingScatterHandle>(null);
  const background = scheme === "dark" ? "#1a1b1e" : "#ffffff";
  const ring = scheme === "dark" ? "#ffffff" : "#111111";

  // ---------------------------------------------------------------- render
  if (models.error) return <ErrorPanel error={models.error} onRetry={models.reload} title="The embedding models did not load" />;
  if (models.data && models.data.length === 0) {
    return (
      <p className="empty-state">
        Dataset {d} has no embeddings yet: upload frame or crop vectors with the SDK, an import file or REST (docs/embeddings.md), then come back to project them.
      </p>
    );
  }
  const sourceCount = chosen ? vectorCount(chosen, state.kind) : null;
  const running = job !== null && ACTIVE.has(job.state);
  return (
    <div className="embedding-view">
      <div className="embedding-controls" role="group" aria-label="Projection">
        <label>
          Embedding{" "}
          <select value={model ?? ""} onChange={(e) => onState({ model: e.target.value })}>
            {models.data?.map((m) => <option key={m.model} value={m.model}>{m.model} ({m.dimension}-d)</option>)}
          </select>
        </label>
        <div role="radiogroup" aria-label="Points" className="segmented">
          {(["frame", "crop"] as const).map((k) => (
            <button key={k} type="button" role="radio" aria-checked={state.kind === k} onClick={() => onState({ kind: k })}
              title={chosen ? `${formatCount(vectorCount(chosen, k))} ${k} vectors of ${chosen.model}` : undefined}>
              {k === "frame" ? "Frames" : "Crops"}
            </button>
          ))}
        </div>
        <div role="radiogroup" aria-label="Method" className="segmented">
          {(["umap", "pca"] as const).map((m) => (
            <button key={m} type="button" role="radio" aria-checked={state.method === m} onClick={() => onState({ method: m })}>{m.toUpperCase()}</button>
          ))}
        </div>
        <label>
          Color by{" "}
          <select value={colorBy} onChange={(e) => onState({ colorBy: e.target.value })}>
            {(["Model", "Metadata", "Metrics"] as const).map((group) => {
              const inGroup = options.filter((o) => o.group === group);
              return inGroup.length === 0 ? null : (
                <optgroup key={group} label={group}>
                  {inGroup.map((o) => <option key={o.value} value={o.value}>{o.title}</option>)}
                </optgroup>
              );
            })}
          </select>
        </label>
        {withSets && (
          <label>
            <input type="checkbox" checked={opacityChecked} onChange={(e) => setOpacityByConfidence(e.target.checked)} /> Opacity by confidence
          </label>
        )}
        <label>
          Outside segment / query{" "}
          <select value={outOfScope} onChange={(e) => setOutOfScope(e.target.value as OutOfScope)}>
            <option value="dim">dimmed</option>
            <option value="hide">hidden</option>
          </select>
        </label>
      </div>
      {!withSets && <p className="muted">Dataset {d} has no inference sets: its points are colored by class, metadata or metrics.</p>}
      {withSets && <details className="embedding-thresholds">
        <summary>Thresholds (confidence {formatThreshold(ctx.thresholds.conf)}{ctx.project.task === "detection" ? `, IoU ${formatThreshold(ctx.iou)}` : ""}{Object.keys(ctx.thresholds.overrides).length > 0 ? ", per-class overrides" : ""}): the outcome and frame precision / recall / F1 colors use them</summary>
        <ThresholdPanel ctx={ctx} />
      </details>}

      {chosen && !projectable && (
        <p className="empty-state" role="status">
          Model {chosen.model} has no {state.kind === "frame" ? "frame" : "crop"} vectors
          {vectorCount(chosen, state.kind === "frame" ? "crop" : "frame") > 0 && (
            <>: <button type="button" className="link-button" onClick={() => onState({ kind: state.kind === "frame" ? "crop" : "frame" })}>
              show its {state.kind === "frame" ? "crops" : "frames"}</button></>
          )}
          {models.data!.filter((m) => m.model !== chosen.model && vectorCount(m, state.kind) > 0).length > 0 && (
            <>; or choose another embedding above</>
          )}.
        </p>
      )}
      {(missing || running || jobError) && (
        <section className="projection-state" aria-label="Projection state">
          {running ? (
            <>
              <p>Computing the {state.method.toUpperCase()} projection of {state.kind === "frame" ? "frames" : "crops"} ({model})…</p>
              <progress max={Math.max(1, job!.total)} value={job!.done} aria-label="Projection progress" />
              <span className="muted"> {job!.total > 0 ? `${formatCount(job!.done)} of ${formatCount(job!.total)}` : "starting"}</span>
            </>
          ) : missing ? (
            <>
              <p>{errorText(info.error)}</p>
              <p className="muted">
                {sourceCount !== null && `${formatCount(sourceCount)} ${state.kind === "frame" ? "frame" : "crop"} vectors of ${model}. `}
                {state.method === "pca" ? "PCA takes seconds." : "UMAP takes longer and shows clusters better; PCA gives a first look at once."}
              </p>
              <button type="button" onClick={compute}>Compute</button>
            </>
          ) : null}
          {job?.state === "failed" && <p className="error" role="alert">The projection failed: {job.error ?? "see the server's log"}</p>}
          {jobError && <p className="error" role="alert">{jobError}</p>}
        </section>
      )}
      {info.error !== null && !missing && <ErrorPanel error={info.error} onRetry={info.reload} title="The projection did not load" />}
      <Loading active={models.loading || info.loading || points.loading || colors.loading} label="Loading the projection" />
      {points.error !== null && <ErrorPanel error={points.error} onRetry={points.reload} title="The points did not load" />}
      {colors.error !== null && <ErrorPanel error={colors.error} onRetry={colors.reload} title="The colors did not load" />}

      {current && xy && styled && colorData && (
        <div className="embedding-main">
          <div className="embedding-canvas">
            <div className="scatter-tools" role="toolbar" aria-label="Scatter tools">
              {(["lasso", "box", "pan"] as const).map((m) => (
                <button key={m} type="button" aria-pressed={mode === m} onClick={() => setMode(m)}>{m === "lasso" ? "Lasso" : m === "box" ? "Box" : "Pan"}</button>
              ))}
              <button type="button" onClick={() => scatter.current?.resetView()}>Fit</button>
              <button type="button" title="Select every point shown (categories toggled off and points outside the segment / query left out)"
                onClick={() => { setSelected(allShown(styled.selectable)); setMessage(null); }}>
                All shown
              </button>
            </div>
            <EmbeddingScatter ref={scatter} xy={xy} rgba={styled.rgba} selectable={styled.selectable} bounds={current.bounds} selected={selected}
              mode={mode} onSelect={onSelect} onPick={onPick} onHover={onHover} background={background} ring={ring} rims={scheme === "light"}
              label={`${formatCount(current.count)} ${state.kind === "frame" ? "frames" : "crops"}, ${state.method.toUpperCase()} of ${current.model}`} />
            {hover && (
              <PointPreview project={p} dataset={d} inferenceSet={ctx.sets[0] ?? null} element={hovered?.index === hover.index ? hovered : null} at={hover.at} area={hover.area}
                value={describePoint(colorData, hover.index)} colorTitle={colorTitle} />
            )}
            <p className="muted projection-caption">
              {formatCount(current.count)} points · {current.method.toUpperCase()} fitted on {formatCount(current.fitted_on)}
              {current.fitted_on < current.count ? " (the rest placed)" : ""} · computed {current.computed_at.replace("T", " ").slice(0, 16)} UTC
              {" · "}drag to {mode === "pan" ? "pan" : mode === "lasso" ? "lasso" : "box"}, wheel to zoom, click a point to select it; Shift adds to the selection, Alt takes from it
            </p>
          </div>
          <aside className="embedding-side">
            <EmbeddingScatterLegend colors={colorData} title={colorTitle} classColors={palette} hidden={hidden}
              onToggle={toggleCategory} onShowAll={showAll} outOfScopeCount={outOfScopeCount} outOfScope={outOfScope}
              opacityByConfidence={opacityByConfidence && opacity.data !== null} scheme={scheme} selectedCount={selected?.length ?? 0} />
            <SelectionPanel ctx={ctx} selected={selected} colors={colorData} colorTitle={colorTitle} palette={palette} resolve={resolve}
              onSelected={setSelected} onGallery={() => setGalleryOpen(true)} message={message} setMessage={setMessage} />
          </aside>
        </div>
      )}
      {galleryOpen && selected && selected.length > 0 && (
        <SelectionGallery project={p} dataset={d} inferenceSet={ctx.sets[0] ?? null} indices={selected} resolve={resolve} onClose={() => setGalleryOpen(false)}
          onOpenFrame={(frame) => ctx.update({ frame, view: "frame" })} />
      )}
    </div>
  );
}

/** The indices of every selectable point, ascending. */
function allShown(selectable: Uint8Array): Uint32Array {
  let n = 0;
  for (let i = 0; i < selectable.length; i++) n += selectable[i]!;
  const out = new Uint32Array(n);
  for (let i = 0, k = 0; i < selectable.length; i++) if (selectable[i]) out[k++] = i;
  return out;
}

function SelectionPanel({ ctx, selected, colors, colorTitle, palette, resolve, onSelected, onGallery, message, setMessage }: {
  ctx: ViewContext;
  selected: Uint32Array | null;
  colors: PointColorsOut;
  colorTitle: string;
  palette: Record<string, string>;
  resolve: (indices: ArrayLike<number>, signal?: AbortSignal) => Promise<ProjectedElement[]>;
  onSelected: (s: Uint32Array | null) => void;
  onGallery: () => void;
  message: { text: string; error?: boolean } | null;
  setMessage: (m: { text: string; error?: boolean } | null) => void;
}) {
  const p = ctx.project.name;
  const d = ctx.dataset;
  const [checked, setChecked] = useState<ReadonlySet<number>>(new Set());
  const [segmentName, setSegmentName] = useState("");
  const [issue, setIssue] = useState<string>(NEW_ISSUE);
  const [issueName, setIssueName] = useState("");
  const [busy, setBusy] = useState(false);
  const issues = useApi(JSON.stringify(["issues", p]), (signal) => api.issueList(p, { signal }));
  const categorical = colors.type === "categorical";
  const breakdown = useMemo(() => {
    if (!selected || !categorical) return [];
    const counts = categoryCounts(colors.codes ?? [], (colors.categories ?? []).length, selected);
    return categoricalLegend(colors, palette).map((e) => ({ ...e, count: counts[e.code >= 0 ? e.code : counts.length - 1]! })).filter((e) => e.count > 0);
  }, [selected, colors, palette, categorical]);
  useEffect(() => setChecked(new Set(breakdown.map((e) => e.code))), [breakdown]);

  if (!selected || selected.length === 0) {
    return (
      <section className="selection-panel" aria-label="Selection">
        <h3>Selection</h3>
        <p className="muted">{selected ? "No shown point inside the shape." : "Draw a lasso or a box around points to select them."}</p>
        {message && <p className={message.error ? "error" : "success"} role="status">{message.text}</p>}
      </section>
    );
  }

  const run = async (work: () => Promise<string>) => {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ text: await work() });
    } catch (e) {
      setMessage({ text: errorText(e), error: true });
    } finally {
      setBusy(false);
    }
  };
  const saveSegment = () => run(async () => {
    const name = segmentName.trim();
    if (!name) throw new Error("Name the segment first.");
    const frames = uniqueFrames(await resolve(selected));
    await api.createSegment(p, d, { name, frames, type: "scenario", description: `${frames.length} frames lassoed in the embedding view` });
    announceSegmentsChanged();
    setSegmentName("");
    return `Saved segment ${name} with ${formatCount(frames.length)} frames.`;
  });
  const addToIssue = () => run(async () => {
    const elements = (await resolve(selected)).map((e) => issueElementOf(d, e));
    if (issue === NEW_ISSUE) {
      const name = issueName.trim();
      if (!name) throw new Error("Name the new issue first.");
      await api.newIssue(p, { name, elements, description: `${formatCount(elements.length)} elements lassoed in the embedding view (${colorTitle})` });
      issues.reload();
      setIssueName("");
      return `Created issue ${name} with ${formatCount(elements.length)} elements.`;
    }
    const added = await api.addIssueElements(p, issue, elements);
    issues.reload();
    return `Added ${formatCount(added.added)} elements to issue ${issue}${added.skipped > 0 ? ` (${formatCount(added.skipped)} already in it)` : ""}.`;
  });

  return (
    <section className="selection-panel" aria-label="Selection">
      <h3 aria-live="polite"><span data-testid="selection-count">{formatCount(selected.length)}</span> selected</h3>
      {categorical && breakdown.length > 0 && (
        <fieldset className="selection-breakdown">
          <legend>By the current colors</legend>
          {breakdown.map((e) => (
            <label key={e.code}>
              <input type="checkbox" checked={checked.has(e.code)}
                onChange={() => setChecked((c) => { const next = new Set(c); if (next.has(e.code)) next.delete(e.code); else next.add(e.code); return next; })} />
              <span className="swatch" style={{ background: e.color }} aria-hidden="true" /> {e.name} <span className="legend-count">{formatCount(e.count)}</span>
            </label>
          ))}
          <button type="button" disabled={checked.size === breakdown.length || checked.size === 0}
            onClick={() => onSelected(filterByCategory(selected, colors.codes ?? [], new Set([...checked])))}>Keep checked only</button>
        </fieldset>
      )}
      <div className="selection-actions">
        <button type="button" onClick={onGallery}>Open gallery</button>
        <button type="button" onClick={() => { onSelected(null); setMessage(null); }}>Clear selection</button>
      </div>
      <form className="selection-form" onSubmit={(e) => { e.preventDefault(); void saveSegment(); }}>
        <label>
          Segment name <input value={segmentName} onChange={(e) => setSegmentName(e.target.value)} placeholder="e.g. dark cluster" />
        </label>
        <button type="submit" disabled={busy}>Save as segment</button>
      </form>
      <form className="selection-form" onSubmit={(e) => { e.preventDefault(); void addToIssue(); }}>
        <label>
          Issue{" "}
          <select value={issue} onChange={(e) => setIssue(e.target.value)} aria-label="Issue to add to">
            <option value={NEW_ISSUE}>New issue…</option>
            {issues.data?.map((i) => <option key={i.uuid} value={i.name}>{i.name}</option>)}
          </select>
        </label>
        {issue === NEW_ISSUE && (
          <label>
            Issue name <input value={issueName} onChange={(e) => setIssueName(e.target.value)} placeholder="e.g. missed small boxes" />
          </label>
        )}
        <button type="submit" disabled={busy}>Add to issue</button>
      </form>
      {busy && <p className="muted" role="status">Working on {formatCount(selected.length)} elements…</p>}
      {message && <p className={message.error ? "error" : "success"} role="status">{message.text}</p>}
    </section>
  );
}
