/**
 * "Find similar elements" of an issue: the frames (or crops) of the dataset nearest the
 * issue's own frames (or label and prediction crops) by their stored embeddings (GET .../similar, exact or
 * the index, as the answer says), the issue's own elements excluded. Each candidate shows
 * its thumbnail and distance; the ones checked are added to the issue.
 */
import { useEffect, useState } from "react";
import { api } from "../api/client";
import { embeddingsApi } from "../api/embeddings";
import { useApi } from "../hooks/useApi";
import type { SimilarElementsOut } from "../api/types";
import { useImageSource } from "../hooks/useImageSource";
import { formatScore } from "../lib/format";
import { elementTitle, similarElement, similarSeeds, type ElementIdentity, type Issue, type SimilarKind } from "../lib/issues";
import { frameThumbnailUrl } from "../api/client";
import type { ViewContext } from "../views/context";
import { ErrorPanel, Loading } from "./Status";

export const DEFAULT_SIMILAR_K = 24;

/** A similar search's answer: the element, its frame and its distance to the nearest seed. */
type Candidate = SimilarElementsOut["results"][number];

export interface IssueSimilarProps {
  ctx: ViewContext;
  issue: Issue;
  /** The issue changed (elements added). */
  onAdded: () => void;
}

export function IssueSimilar({ ctx, issue, onAdded }: IssueSimilarProps) {
  const project = ctx.project.name;
  const dataset = ctx.dataset;
  const frameSeeds = similarSeeds(issue.elements, dataset, "frame");
  const cropSeeds = similarSeeds(issue.elements, dataset, "crop");
  const [kind, setKind] = useState<SimilarKind>(frameSeeds.length > 0 || cropSeeds.length === 0 ? "frame" : "crop");
  const [k, setK] = useState(DEFAULT_SIMILAR_K);
  const [metric, setMetric] = useState<"cosine" | "euclidean">("cosine");
  const [embedding, setEmbedding] = useState("");
  const [answer, setAnswer] = useState<SimilarElementsOut | null>(null);
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const seeds = kind === "frame" ? frameSeeds : cropSeeds;
  // The dataset's embedding models with vectors of the kind searched (frames, or label and prediction crops).
  const models = useApi(JSON.stringify(["embedding-models", project, dataset]), (signal) => embeddingsApi.models(project, dataset, { signal }));
  const crops = (m: { labels: number; predictions: Record<string, number> }) => m.labels + Object.values(m.predictions).reduce((a, b) => a + b, 0);
  const fitting = (models.data ?? []).filter((m) => (kind === "frame" ? m.frames : crops(m)) > 0).map((m) => m.model);
  useEffect(() => {
    if (models.data && !fitting.includes(embedding)) setEmbedding(fitting[0] ?? "");
  }, [models.data, kind]);

  const search = async () => {
    setLoading(true);
    setError(null);
    setNotice(null);
    try {
      // The seeds (the issue's own elements of this kind) never come back.
      const found = await api.similar(project, dataset, { to: seeds, k, kind, metric, embedding: embedding.trim() || undefined });
      setAnswer(found);
      setChecked(new Set());
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  const candidates = (answer?.results ?? []) as Candidate[];
  const elementOf = (c: Candidate): ElementIdentity | null => similarElement(dataset, answer!.kind, c.id, c.frame_id);
  const add = async () => {
    const chosen = candidates.filter((c) => checked.has(c.id)).map(elementOf).filter((e): e is ElementIdentity => e !== null);
    if (chosen.length === 0) return;
    setError(null);
    try {
      const added = await api.addIssueElements(project, issue.name, chosen);
      setNotice(`Added ${added.added} to ${issue.name}${added.skipped > 0 ? ` (${added.skipped} already in it)` : ""}.`);
      // Added ones leave the candidates (they are the issue's now).
      const addedIds = new Set(candidates.filter((c) => checked.has(c.id)).map((c) => c.id));
      setAnswer((a) => (a ? { ...a, results: a.results.filter((r) => !addedIds.has(r.id)) } : a));
      setChecked(new Set());
      onAdded();
    } catch (e) {
      setError(e);
    }
  };
  const toggle = (id: string) => setChecked((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });

  return (
    <div className="issue-similar">
      <p className="muted">
        The {kind === "frame" ? "frames" : "label and prediction crops"} of {dataset} nearest this issue's {seeds.length} {kind === "frame" ? "frame" : "crop"}{seeds.length === 1 ? "" : "s"}
        {kind === "frame" ? " (the frames of its elements, crops included)" : ""} by their stored embeddings: a candidate's distance is to its nearest one, and the issue's own are left out.
      </p>
      <form className="issue-similar-controls" onSubmit={(e) => { e.preventDefault(); void search(); }}>
        <label>
          Search{" "}
          <select aria-label="Similar kind" value={kind} onChange={(e) => { setKind(e.target.value as SimilarKind); setAnswer(null); }}>
            <option value="frame">Frames ({frameSeeds.length} of the issue)</option>
            <option value="crop">Crops ({cropSeeds.length} of the issue)</option>
          </select>
        </label>
        <label>
          Embedding{" "}
          <select aria-label="Embedding model" value={embedding} onChange={(e) => setEmbedding(e.target.value)}>
            {fitting.length === 0 && <option value="">{models.data ? `no ${kind === "frame" ? "frame" : "crop"} embeddings` : "…"}</option>}
            {fitting.map((m) => <option key={m} value={m}>{m}</option>)}
          </select>
        </label>
        <label>
          Metric{" "}
          <select aria-label="Similarity metric" value={metric} onChange={(e) => setMetric(e.target.value as "cosine" | "euclidean")}>
            <option value="cosine">cosine (1 − cos)</option>
            <option value="euclidean">Euclidean</option>
          </select>
        </label>
        <label>
          How many{" "}
          <input type="number" aria-label="How many similar" min={1} max={1000} value={k} onChange={(e) => setK(Math.max(1, Math.min(1000, Number(e.target.value) || 1)))} />
        </label>
        <button type="submit" disabled={seeds.length === 0 || loading || embedding === ""}>Find similar elements</button>
      </form>
      {seeds.length === 0 && (
        <p className="empty-state">This issue has no {kind === "frame" ? "element" : "crop"} of {dataset} to start from.</p>
      )}
      <Loading active={loading} label="Searching similar elements" />
      {models.error !== null && <ErrorPanel error={models.error} onRetry={models.reload} title="The embedding models could not be listed" />}
      {models.data && fitting.length === 0 && (
        <p className="empty-state">{dataset} has no {kind === "frame" ? "frame" : "crop"} embeddings: upload some (SDK, import files or REST) to search by similarity.</p>
      )}
      {error !== null && <ErrorPanel error={error} title="Similar elements could not be found" onRetry={() => setError(null)} />}
      {notice !== null && <p className="notice" role="status" data-testid="similar-notice">{notice}</p>}
      {answer && (
        <>
          <div className="issue-similar-bar">
            <span className="muted" data-testid="similar-answer">
              {candidates.length} {answer.kind === "frame" ? "frames" : "crops"}, {answer.metric} distance of model {answer.embedding}
              {" "}({answer.exact ? "exact search" : "inverted-file index"}), nearest first
            </span>
            <button type="button" onClick={() => setChecked(new Set(candidates.filter((c) => elementOf(c) !== null).map((c) => c.id)))}>Check all</button>
            <button type="button" onClick={() => setChecked(new Set())} disabled={checked.size === 0}>Uncheck all</button>
            <button type="button" onClick={() => void add()} disabled={checked.size === 0}>Add {checked.size} to issue</button>
          </div>
          <ul className="similar-candidates" aria-label="Similar elements">
            {candidates.map((c, rank) => {
              const element = elementOf(c);
              const frameId = element?.frame_id ?? c.frame_id;
              const what = answer.kind === "frame" ? `frame ${frameId ?? c.id}` : element ? elementTitle(element) : c.id;
              return (
                <li key={c.id} data-id={c.id} data-checked={checked.has(c.id) || undefined}>
                  <label>
                    <input type="checkbox" checked={checked.has(c.id)} disabled={element === null} onChange={() => toggle(c.id)}
                      aria-label={`Choose ${answer.kind === "frame" ? `frame ${frameId ?? c.id}` : c.id}`} />
                    {frameId !== null ? <FrameThumb project={project} dataset={dataset} frameId={frameId} />
                      : <span className="issue-thumb-placeholder" title="The search did not name this crop's frame: it cannot be shown or added" />}
                    <span className="similar-caption">
                      <span>#{rank + 1} {what}</span>
                      <span className="muted">distance <strong data-testid="similar-distance">{formatScore(c.distance, 4)}</strong></span>
                    </span>
                  </label>
                </li>
              );
            })}
          </ul>
        </>
      )}
    </div>
  );
}

/** A frame's PNG thumbnail (the frame thumbnail route), fetched with the API key when one is set. */
function FrameThumb({ project, dataset, frameId }: { project: string; dataset: string; frameId: string }) {
  const src = useImageSource(frameThumbnailUrl(project, dataset, frameId, 240));
  return <img className="similar-thumb" src={src} alt={`frame ${frameId}`} loading="lazy" />;
}
