/**
 * PLACEHOLDER SHELL: the three views laid out over static fixtures (real Shoal output of
 * the demo) until the REST API exists. Thresholds and edits change local state only.
 */
import { useMemo, useState, type KeyboardEvent } from "react";
import type { SegmentResultDict, Thresholds } from "./api/types";
import { COCO_STAT_NAMES } from "./api/types";
import { ConfusionMatrix } from "./components/ConfusionMatrix";
import { ExampleGrid } from "./components/ExampleGrid";
import { FrameView } from "./components/FrameView";
import { PRCurve } from "./components/PRCurve";
import { ReportTable } from "./components/ReportTable";
import { ScenarioCard } from "./components/ScenarioCard";
import { ThresholdSliders, type ThresholdValues } from "./components/ThresholdSliders";
import { shapes } from "./fixtures";
import { examplesOf, inCell, pageOf, sortExamples, type Example, type ExampleSort } from "./lib/examples";
import { formatScore, formatSigned, formatSignedScore } from "./lib/format";

export type View = "metrics" | "scenarios" | "compare";
const VIEWS: ReadonlyArray<{ value: View; title: string }> = [
  { value: "metrics", title: "Metrics" },
  { value: "scenarios", title: "Scenarios" },
  { value: "compare", title: "Compare" },
];

const classColors = Object.fromEntries(shapes.project.classes.map((c) => [c.name, c.color]));

export function App() {
  const [view, setView] = useState<View>("metrics");
  const onTabKey = (e: KeyboardEvent) => {
    const k = VIEWS.findIndex((v) => v.value === view);
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (step === 0) return;
    const next = VIEWS[(k + step + VIEWS.length) % VIEWS.length]!.value;
    setView(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  return (
    <div className="app">
      <header className="app-header">
        <h1>Shoal</h1>
        <p className="placeholder-banner" role="note">
          Placeholder: static demo data ({shapes.project.name}), not yet connected to a Shoal server.
        </p>
        <div role="tablist" aria-label="Views" onKeyDown={onTabKey}>
          {VIEWS.map((v) => (
            <button key={v.value} id={`tab-${v.value}`} type="button" role="tab" aria-selected={view === v.value}
              aria-controls={`panel-${v.value}`} tabIndex={view === v.value ? 0 : -1} onClick={() => setView(v.value)}>
              {v.title}
            </button>
          ))}
        </div>
      </header>
      <main id={`panel-${view}`} role="tabpanel" aria-labelledby={`tab-${view}`}>
        {view === "metrics" && <MetricsView />}
        {view === "scenarios" && <ScenariosView onOpen={() => setView("metrics")} />}
        {view === "compare" && <CompareView />}
      </main>
    </div>
  );
}

const PAGE_SIZE = 8;

export function MetricsView() {
  const { project } = shapes;
  const classes = project.classes.map((c) => c.name);
  const [thresholds, setThresholds] = useState<ThresholdValues>({ conf: project.default_conf, iou: project.default_iou, overrides: {} });
  const [label, setLabel] = useState<string | null>(null);
  const [cells, setCells] = useState<Array<[string, string]>>([]);
  const [sort, setSort] = useState<ExampleSort>("confidence-disagreement");
  const [page, setPage] = useState(0);
  const [open, setOpen] = useState<Example | null>(null);
  const regressionTest = shapes.segments.find((s) => s.type === "regression_test");

  const examples = useMemo(() => {
    const all = examplesOf(shapes.frames);
    const chosen = cells.length === 0 ? all : all.filter((e) => cells.some(([t, p]) => inCell(e.object, t, p)));
    return sortExamples(chosen, sort);
  }, [cells, sort]);
  const choose = (next: Array<[string, string]>) => {
    setCells(next);
    setPage(0);
  };

  return (
    <div className="metrics-view">
      <aside>
        <ThresholdSliders value={thresholds} onChange={setThresholds} iouGrid={shapes.iouThresholds}
          defaults={{ conf: project.default_conf, iou: project.default_iou }} classes={classes} />
        <p className="muted">Fixture metrics are at confidence {shapes.matrix.conf as number} and IoU {shapes.matrix.iou}.</p>
        <dl className="coco">
          {COCO_STAT_NAMES.map((n) => (
            <div key={n}><dt>{n}</dt><dd>{formatScore(shapes.coco[n])}</dd></div>
          ))}
        </dl>
      </aside>
      <div className="metrics-main">
        <div className="row">
          <PRCurve curves={shapes.curves} label={label ?? undefined} onSelectLabel={(l) => setLabel(l === "all" ? null : l)}
            conf={label ? (thresholds.overrides[label] ?? thresholds.conf) : thresholds.conf}
            thresholds={regressionTest ? regressionTest.thresholds : undefined} />
          <ReportTable report={shapes.report} selectedLabel={label} onSelectLabel={setLabel}
            caption={`Classification report: ${shapes.inferenceSet}`} />
        </div>
        <ConfusionMatrix matrix={shapes.matrix} filterLabel={label} onFilterLabelChange={setLabel}
          selectedCell={cells.length === 1 ? cells[0] : null}
          onSelectCell={(t, p) => choose([[t, p]])} onHighlight={(c) => choose(c)}
          caption={`Confusion matrix: ${shapes.inferenceSet}`} />
        <ExampleGrid examples={pageOf(examples, page, PAGE_SIZE)} sort={sort} onSortChange={(s) => { setSort(s); setPage(0); }}
          page={page} pageSize={PAGE_SIZE} total={examples.length} onPageChange={setPage} onOpen={setOpen}
          classColors={classColors}
          title={cells.length === 1 ? `${cells[0]![0]} → ${cells[0]![1]}` : cells.length > 1 ? `${cells.length} cells` : "All objects"} />
        {open && (
          <FrameView frame={open.frame} classColors={classColors} onClose={() => setOpen(null)}
            emphasize={[{ kind: open.object.kind, id: open.object.id }]} />
        )}
      </div>
    </div>
  );
}

const GROUPS: ReadonlyArray<{ type: string; title: string }> = [
  { type: "split", title: "Splits" },
  { type: "regression_test", title: "Regression tests" },
  { type: "scenario", title: "Scenarios" },
];

export function ScenariosView({ onOpen }: { onOpen: (segment: string) => void }) {
  // The shown inference set first, the other one beside it.
  const firstName = shapes.inferenceSet;
  const secondName = Object.keys(shapes.regression).find((n) => n !== firstName)!;
  const first = shapes.regression[firstName]!;
  const second = shapes.regression[secondName]!;
  const [edited, setEdited] = useState<Record<string, Thresholds>>({});
  const withThresholds = (r: SegmentResultDict): SegmentResultDict => {
    const t = edited[r.uuid];
    if (!t) return r;
    return { ...r, precision: { ...r.precision, threshold: t.precision }, recall: { ...r.recall, threshold: t.recall }, f1_score: { ...r.f1_score, threshold: t.f1_score } };
  };
  return (
    <div className="scenarios-view">
      {GROUPS.map((g) => (
        <section key={g.type} aria-labelledby={`group-${g.type}`}>
          <h2 id={`group-${g.type}`}>{g.title}</h2>
          <div className="cards">
            {first.filter((r) => r.segment_type === g.type).map((r) => (
              <ScenarioCard key={r.uuid} result={withThresholds(r)}
                compareResult={withThresholds(second.find((o) => o.uuid === r.uuid)!)}
                names={[firstName, secondName]} onOpen={onOpen}
                onChangeThresholds={(t) => setEdited({ ...edited, [r.uuid]: t })} />
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}

export function CompareView() {
  const c = shapes.comparison;
  return (
    <div className="compare-view">
      <h2>{c.other} against {c.base}</h2>
      <ul>{c.summary.map((s) => <li key={s}>{s}</li>)}</ul>
      <div className="row">
        <ConfusionMatrix comparison={c.confusion_matrix} caption={`Change in confusions: ${c.other} − ${c.base}`} />
        <table className="report-table">
          <caption>Per-class change ({c.other} − {c.base})</caption>
          <thead>
            <tr>
              <th scope="col">Class</th><th scope="col">Precision</th><th scope="col">Recall</th>
              <th scope="col">F1</th><th scope="col">TP</th><th scope="col">FP</th><th scope="col">FN</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(c.classes).map(([label, d]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td className="num">{formatSignedScore(d.precision.delta)}</td>
                <td className="num">{formatSignedScore(d.recall.delta)}</td>
                <td className="num">{formatSignedScore(d["f1-score"].delta)}</td>
                <td className="num">{formatSigned(d.tp.delta)}</td>
                <td className="num">{formatSigned(d.fp.delta)}</td>
                <td className="num">{formatSigned(d.fn.delta)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
