/**
 * A new collection campaign: its name, the issue whose elements are the seeds, the corpus
 * searched (a dataset: "unlabeled" when there is one), the embedding model (the corpus's
 * models), k per seed or in total, frames or crops, the distance. POST .../campaigns; the
 * server checks everything (its error is shown as it says it).
 */
import { useEffect, useState, type FormEvent } from "react";
import { api, ApiError } from "../api/client";
import { embeddingsApi } from "../api/embeddings";
import { useApi } from "../hooks/useApi";
import type { Campaign } from "../lib/campaigns";

export interface CampaignCreateFormProps {
  project: string;
  /** The project's dataset names (the corpus is one of them). */
  datasets: readonly string[];
  /** The issue chosen at first (e.g. the one the user came from). */
  issue?: string | null;
  onCreated: (campaign: Campaign) => void;
  onCancel?: () => void;
}

/** The corpus offered first: a dataset named "unlabeled", else the last one. */
export function defaultCorpus(datasets: readonly string[]): string {
  return datasets.find((d) => d === "unlabeled") ?? datasets.find((d) => /unlabel/i.test(d)) ?? datasets[datasets.length - 1] ?? "";
}

export function CampaignCreateForm({ project, datasets, issue, onCreated, onCancel }: CampaignCreateFormProps) {
  const issues = useApi(JSON.stringify(["issues", project]), (signal) => api.issueList(project, { signal }));
  const [seedIssue, setSeedIssue] = useState(issue ?? "");
  const [corpus, setCorpus] = useState(() => defaultCorpus(datasets));
  const [name, setName] = useState("");
  const [named, setNamed] = useState(false);
  const [k, setK] = useState(10);
  const [kPer, setKPer] = useState<"seed" | "total">("seed");
  const [kind, setKind] = useState<"" | "frame" | "crop">("");
  const [metric, setMetric] = useState<"cosine" | "euclidean">("cosine");
  const [embedding, setEmbedding] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const models = useApi(corpus ? JSON.stringify(["embeddings", project, corpus]) : null, (signal) => embeddingsApi.models(project, corpus, { signal }));

  // The first issue, and a name that follows it until the user types one.
  useEffect(() => {
    if (!seedIssue && issues.data && issues.data.length > 0) setSeedIssue(issues.data[0]!.name);
  }, [issues.data, seedIssue]);
  useEffect(() => {
    if (!named) setName(seedIssue ? `more ${seedIssue}` : "");
  }, [seedIssue, named]);
  useEffect(() => {
    const names = models.data?.map((m) => m.model) ?? [];
    if (embedding && !names.includes(embedding)) setEmbedding("");
  }, [models.data, embedding]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const created = await api.createCampaign(project, {
        name: name.trim(), corpus, issue: seedIssue, k, k_per: kPer, metric,
        ...(kind ? { kind } : {}), ...(embedding ? { embedding } : {}),
      });
      onCreated(created);
    } catch (err) {
      setError(err instanceof ApiError ? err.detail : String(err));
    } finally {
      setBusy(false);
    }
  };

  const noIssues = issues.data !== null && issues.data.length === 0;
  return (
    <form className="campaign-form" onSubmit={submit} aria-label="New campaign">
      <h3>New campaign</h3>
      {noIssues && <p className="muted">The project has no issues yet: collect failures in one (Issues tab), then search for more like them here.</p>}
      <label>
        Seeds: the elements of issue{" "}
        <select value={seedIssue} onChange={(e) => setSeedIssue(e.target.value)} required>
          {issues.data?.map((i) => <option key={i.name} value={i.name}>{i.name} ({i.elements.length})</option>)}
        </select>
      </label>
      <label>
        Corpus (searched){" "}
        <select value={corpus} onChange={(e) => setCorpus(e.target.value)} required>
          {datasets.map((d) => <option key={d} value={d}>{d}</option>)}
        </select>
      </label>
      <label>
        Embedding model{" "}
        <select value={embedding} onChange={(e) => setEmbedding(e.target.value)}>
          <option value="">auto (the one with vectors of the corpus and the seeds)</option>
          {(models.data ?? []).map((m) => {
            const crops = m.labels + Object.values(m.predictions).reduce((a, b) => a + b, 0);
            return <option key={m.model} value={m.model}>{m.model} ({m.dimension}-d: {m.frames} frames, {crops} crops)</option>;
          })}
        </select>
      </label>
      {models.data && models.data.length === 0 && <p className="muted" role="status">Corpus {corpus} has no embeddings: a campaign searches by them.</p>}
      <div className="campaign-form-row">
        <label>
          k{" "}
          <input type="number" min={1} max={10000} value={k} onChange={(e) => setK(Math.max(1, Math.min(10000, Number(e.target.value) || 1)))} style={{ width: "5em" }} />
        </label>
        <label>
          per{" "}
          <select value={kPer} onChange={(e) => setKPer(e.target.value as "seed" | "total")}>
            <option value="seed">seed</option>
            <option value="total">campaign (total)</option>
          </select>
        </label>
        <label>
          Elements{" "}
          <select value={kind} onChange={(e) => setKind(e.target.value as "" | "frame" | "crop")}>
            <option value="">auto (crops when every seed is a crop)</option>
            <option value="frame">frames</option>
            <option value="crop">crops</option>
          </select>
        </label>
        <label>
          Distance{" "}
          <select value={metric} onChange={(e) => setMetric(e.target.value as "cosine" | "euclidean")}>
            <option value="cosine">cosine</option>
            <option value="euclidean">Euclidean</option>
          </select>
        </label>
      </div>
      <label>
        Name{" "}
        <input value={name} onChange={(e) => { setName(e.target.value); setNamed(true); }} required maxLength={200} />
      </label>
      {error !== null && <p className="form-error" role="alert">{error}</p>}
      <div className="campaign-form-actions">
        <button type="submit" disabled={busy || !seedIssue || !corpus || !name.trim()}>Create campaign</button>
        {onCancel && <button type="button" onClick={onCancel}>Cancel</button>}
      </div>
    </form>
  );
}
