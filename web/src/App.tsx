/**
 * The app over Shoal's REST API: project → dataset → one or two inference sets (the first
 * is the base), the operating point and segment, and four views. The state lives in the
 * URL hash, so a reload or a shared link restores the view. A server that needs an API
 * key answers 401: the app then asks for one (kept in sessionStorage).
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useState, type KeyboardEvent } from "react";
import { api, setApiKey } from "./api/client";
import type { ProjectOut } from "./api/types";
import { ApiKeyForm } from "./components/ApiKeyForm";
import { ErrorPanel, Loading } from "./components/Status";
import { useApi } from "./hooks/useApi";
import { useAuth } from "./hooks/useAuth";
import { useSegmentsChanged } from "./hooks/useSegmentsChanged";
import { effectiveConfidence } from "./lib/thresholds";
import { applyPatch, formatHash, parseHash, type AppState, type View } from "./lib/urlState";
import { ALL_FRAMES, classNames, type ViewContext } from "./views/context";
import { CompareView } from "./views/CompareView";
import { FramePanel } from "./views/FramePanel";
import { MetricsView } from "./views/MetricsView";
import { MultiLabelView } from "./views/MultiLabelView";
import { NerView } from "./views/NerView";
import { ScenariosView } from "./views/ScenariosView";
import { SummaryView } from "./views/SummaryView";
import { InsightsView } from "./views/InsightsView";
import { QueryBar } from "./components/QueryBar";
import { ColorSchemeToggle, ThemeProvider } from "./theme";

// The embedding view's WebGL scatter loads only when its tab is opened.
const EmbeddingView = lazy(() => import("./views/EmbeddingView"));
const CampaignsView = lazy(() => import("./views/CampaignsView"));
const IssuesView = lazy(() => import("./views/IssuesView").then((m) => ({ default: m.IssuesView })));

export type { View };
const VIEWS: ReadonlyArray<{ value: View; title: string }> = [
  { value: "metrics", title: "Metrics" },
  { value: "scenarios", title: "Scenarios" },
  { value: "compare", title: "Compare" },
  { value: "summary", title: "Summary" },
  { value: "insights", title: "Insights" },
  { value: "frame", title: "Frame" },
  { value: "embeddings", title: "Embeddings" },
  { value: "issues", title: "Issues" },
  { value: "campaigns", title: "Campaigns" },
];

/** The views a multi-label or NER project has so far (its metrics are its own: MultiLabelView, NerView). */
const MULTILABEL_VIEWS: ReadonlySet<View> = new Set<View>(["metrics", "scenarios", "frame"]);
const NER_VIEWS: ReadonlySet<View> = new Set<View>(["metrics", "frame"]);

/** The app state, kept in (and restored from) `location.hash`. */
export function useHashState(): [AppState, (patch: Partial<AppState>) => void] {
  const [state, setState] = useState<AppState>(() => parseHash(window.location.hash));
  useEffect(() => {
    const onHash = () => setState(parseHash(window.location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    const hash = `#${formatHash(state)}`;
    if (window.location.hash !== hash) window.history.replaceState(null, "", hash);
  }, [state]);
  const update = useCallback((patch: Partial<AppState>) => setState((s) => applyPatch(s, patch)), []);
  return [state, update];
}

/**
 * The app, or the API key form when the server answered 401. A new key (or forgetting
 * it) starts the app again, so everything is fetched with it; the view is in the hash.
 */
export function App() {
  return (
    <ThemeProvider>
      <AuthGate />
    </ThemeProvider>
  );
}

function AuthGate() {
  const auth = useAuth();
  if (auth.needed) {
    return (
      <div className="app">
        <header className="app-header"><h1>Shoal</h1><div className="header-actions"><ColorSchemeToggle /></div></header>
        <main>
          <ApiKeyForm error={auth.needed} rejected={auth.rejected} onSubmit={setApiKey} />
        </main>
      </div>
    );
  }
  return <AppShell key={auth.generation} hasKey={auth.key !== null} />;
}

function AppShell({ hasKey }: { hasKey: boolean }) {
  const [state, update] = useHashState();
  const projects = useApi("projects", (signal) => api.projects({ signal }));
  const project: ProjectOut | null = projects.data?.find((p) => p.name === state.project) ?? projects.data?.[0] ?? null;
  const datasetsKey = project ? JSON.stringify(["datasets", project.name]) : null;
  const datasets = useApi(datasetsKey, (signal) => api.datasets(project!.name, { signal }));
  // Only this project's datasets: while another project's answer is still the last one
  // (a link to another project followed in this tab), none is chosen, so nothing of the
  // old project is filled into the new one's URL.
  const projectDatasets = datasets.dataKey === datasetsKey ? datasets.data : null;
  const dataset = projectDatasets?.find((d) => d.name === state.dataset) ?? projectDatasets?.[0] ?? null;
  const segments = useApi(project && dataset ? JSON.stringify(["segments", project.name, dataset.name, dataset.version]) : null, (signal) =>
    api.segments(project!.name, dataset!.name, { signal }),
  );

  useSegmentsChanged(segments.reload);

  // Fill in the first project / dataset / inference set when the URL names none (or a gone one).
  useEffect(() => {
    const patch: Partial<AppState> = {};
    if (project && state.project !== project.name) patch.project = project.name;
    if (dataset && state.dataset !== dataset.name) patch.dataset = dataset.name;
    if (dataset) {
      const sets = state.sets.filter((s) => dataset.inference_sets.includes(s));
      if (sets.length === 0 && dataset.inference_sets.length > 0) sets.push(dataset.inference_sets[0]!);
      if (JSON.stringify(sets) !== JSON.stringify(state.sets)) patch.sets = sets;
    }
    if (Object.keys(patch).length > 0) update(patch);
  }, [project?.name, dataset?.name, dataset?.inference_sets.join("\n"), state.project, state.dataset, state.sets.join("\n")]);

  const ctx: ViewContext | null = useMemo(() => {
    // Without inference sets only the Embeddings tab has something to show (a corpus's vectors).
    const setless = state.view === "embeddings" && dataset?.inference_sets.length === 0;
    if (!project || !dataset || (state.sets.length === 0 && !setless) || state.project !== project.name || state.dataset !== dataset.name) return null;
    const thresholds = { conf: state.conf ?? project.default_conf, iou: state.iou ?? project.default_iou, overrides: state.overrides, iouOverrides: state.iouOverrides };
    return {
      project, dataset: dataset.name, sets: state.sets, thresholds,
      conf: effectiveConfidence(thresholds.conf, thresholds.overrides, classNames(project)), iou: thresholds.iou,
      matchIou: effectiveConfidence(thresholds.iou, thresholds.iouOverrides, classNames(project)), protocol: state.protocol,
      segment: state.segment ?? ALL_FRAMES, selection: state.selection, sort: state.sort, page: state.page,
      metricClass: state.metricClass, shown: state.shown, values: state.values, shareOf: state.shareOf,
      frame: state.frame, object: state.object, update, query: state.query, change: state.change, tide: state.tide,
      insights: state.insights, byMetric: state.byMetric, metricBin: state.metricBin,
      labelErrorKind: state.labelErrorKind, review: state.review, labelErrorPage: state.labelErrorPage,
      // The second set's own thresholds (unlinked); either one unset is the first set's.
      other: state.sets.length > 1 && (state.otherConf !== null || state.otherIou !== null)
        ? { conf: state.otherConf ?? thresholds.conf, iou: state.otherIou ?? thresholds.iou } : null,
    };
  }, [project, dataset, state, update]);

  const ner = project?.task === "ner";
  // Multi-label and NER projects: their own Metrics view and the Frame view only.
  const ownViews = project?.task === "multilabel" || ner;
  const offered = ner ? NER_VIEWS : MULTILABEL_VIEWS;
  const views = ownViews ? VIEWS.filter((v) => offered.has(v.value)) : VIEWS;
  // Multi-label projects also have Scenarios (segments and their regression tests).
  const segmentViews = !ownViews || offered.has("scenarios");
  const onTabKey = (e: KeyboardEvent) => {
    const k = views.findIndex((v) => v.value === state.view);
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (step === 0) return;
    const next = views[(k + step + views.length) % views.length]!.value;
    update({ view: next });
    document.getElementById(`tab-${next}`)?.focus();
  };

  const error = projects.error ?? datasets.error ?? segments.error;
  const sets = dataset?.inference_sets ?? [];
  return (
    <div className="app">
      <header className="app-header">
        <h1>Shoal</h1>
        <div className="pickers">
          <label>
            Project{" "}
            <select value={project?.name ?? ""} onChange={(e) => update({ project: e.target.value, dataset: null, sets: [], segment: null, frame: null, overrides: {}, iouOverrides: {}, conf: null, iou: null, query: null, otherConf: null, otherIou: null })}>
              {projects.data?.map((p) => <option key={p.name} value={p.name}>{p.name}</option>)}
            </select>
          </label>
          <label>
            Dataset{" "}
            <select value={dataset?.name ?? ""} onChange={(e) => update({ dataset: e.target.value, sets: [], segment: null, frame: null, query: null })}>
              {projectDatasets?.map((d) => <option key={d.name} value={d.name}>{d.name}</option>)}
            </select>
          </label>
          <label>
            Inference set{" "}
            <select value={state.sets[0] ?? ""} onChange={(e) => update({ sets: [e.target.value, ...state.sets.slice(1).filter((s) => s !== e.target.value)] })}>
              {sets.map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </label>
          <label>
            Compare with{" "}
            <select value={state.sets[1] ?? ""} onChange={(e) => update({ sets: e.target.value ? [state.sets[0]!, e.target.value] : state.sets.slice(0, 1) })}>
              <option value="">(none)</option>
              {sets.filter((s) => s !== state.sets[0]).map((s) => <option key={s} value={s}>{s}</option>)}
            </select>
          </label>
          <label>
            Segment{" "}
            <select value={state.segment ?? ALL_FRAMES} onChange={(e) => update({ segment: e.target.value === ALL_FRAMES ? null : e.target.value })}>
              {(segments.data ?? [{ name: ALL_FRAMES }]).map((s) => <option key={s.name} value={s.name}>{s.name}</option>)}
            </select>
          </label>
        </div>
        <div className="header-actions">
          {hasKey && (
            <button type="button" className="forget-key" onClick={() => setApiKey(null)}
              title="Stop sending the API key (it is removed from this tab's storage)">Forget key</button>
          )}
          <ColorSchemeToggle />
        </div>
        <div role="tablist" aria-label="Views" onKeyDown={onTabKey}>
          {views.map((v) => (
            <button key={v.value} id={`tab-${v.value}`} type="button" role="tab" aria-selected={state.view === v.value}
              aria-controls={`panel-${v.value}`} tabIndex={state.view === v.value ? 0 : -1} onClick={() => update({ view: v.value })}>
              {v.title}
            </button>
          ))}
        </div>
      </header>
      {project && dataset && (
        <QueryBar key={`${project.name}/${dataset.name}`} project={project.name} dataset={dataset.name} value={state.query}
          onChange={(query) => update({ query })} />
      )}
      <main id={`panel-${state.view}`} role="tabpanel" aria-labelledby={`tab-${state.view}`}>
        <Loading active={projects.loading || datasets.loading} label="Loading projects" />
        {error !== null && <ErrorPanel error={error} onRetry={() => { projects.reload(); datasets.reload(); segments.reload(); }} title="The server could not be reached" />}
        {projects.data?.length === 0 && <p className="empty-state">The store has no projects yet: create one with the Python API, the CLI or POST /api/v1/projects.</p>}
        {projectDatasets?.length === 0 && <p className="empty-state">Project {project?.name} has no datasets yet.</p>}
        {dataset && dataset.inference_sets.length === 0 && state.view !== "embeddings" && <p className="empty-state">Dataset {dataset.name} has no inference sets yet.</p>}
        {ctx && state.view === "metrics" && (ner
          ? <NerView key={`${ctx.project.name}/${ctx.dataset}`} ctx={ctx} />
          : ownViews
          ? <MultiLabelView key={`${ctx.project.name}/${ctx.dataset}`} ctx={ctx} />
          : <MetricsView key={`${ctx.project.name}/${ctx.dataset}`} ctx={ctx} />)}
        {ctx && ownViews && !offered.has(state.view) && (
          <p className="empty-state">Project {ctx.project.name} is {ner ? "NER" : "multi-label"}: its numbers are in Metrics (this view is for detection and single-label classification).</p>
        )}
        {ctx && segmentViews && state.view === "scenarios" && <ScenariosView ctx={ctx} />}
        {ctx && !ownViews && state.view === "compare" && <CompareView ctx={ctx} />}
        {ctx && !ownViews && state.view === "summary" && <SummaryView ctx={ctx} />}
        {ctx && !ownViews && state.view === "insights" && <InsightsView key={`${ctx.project.name}/${ctx.dataset}/${ctx.sets[0]}`} ctx={ctx} />}
        {ctx && !ownViews && state.view === "embeddings" && (
          <Suspense fallback={<Loading active label="Loading the embedding view" />}>
            <EmbeddingView key={`${ctx.project.name}/${ctx.dataset}`} ctx={ctx}
              state={{ model: state.embModel, kind: state.embKind, method: state.embMethod, colorBy: state.colorBy }}
              onState={(patch) => update({
                ...("model" in patch ? { embModel: patch.model ?? null } : {}), ...(patch.kind ? { embKind: patch.kind } : {}),
                ...(patch.method ? { embMethod: patch.method } : {}), ...(patch.colorBy ? { colorBy: patch.colorBy } : {}),
              })} />
          </Suspense>
        )}
        {project && projectDatasets && !ownViews && state.view === "campaigns" && (
          <Suspense fallback={<Loading active label="Loading campaigns" />}>
            <CampaignsView key={project.name} project={project.name} datasets={projectDatasets.map((d) => d.name)}
              campaign={state.campaign} issue={state.campaignIssue} onOpen={(campaign) => update({ campaign, campaignIssue: null })} />
          </Suspense>
        )}
        {ctx && !ownViews && state.view === "issues" && (
          <Suspense fallback={<Loading active label="Loading issues" />}>
            <IssuesView ctx={ctx} issue={state.issue} element={state.issueElement} />
          </Suspense>
        )}
        {ctx && state.view === "frame" && (
          state.frame
            ? <FramePanel ctx={ctx} frameId={state.frame} inferenceSet={ctx.sets[0] ?? null} width={800} onClose={() => update({ frame: null, view: "scenarios" })} />
            : <p className="empty-state">Open a frame from a segment's details (Scenarios) or from the examples (Metrics).</p>
        )}
      </main>
    </div>
  );
}
