/**
 * Per-class COCO AP and AR (AP, AP50, AP75, AR100 of `coco_summary.per_class`, each with
 * its definition) as a table, and the "mean scores" bar chart beside it (Encord's docs):
 * the COCO summary's own AP, AP50, AP75 and AR100 over every class. Detection only; every
 * number is the server's.
 */
import { COCO_STAT_DEFINITIONS, type AnyCocoSummary } from "../api/types";
import { formatScore } from "../lib/format";
import "../controls.css";

export const PER_CLASS_STATS = ["AP", "AP50", "AP75", "AR100"] as const;

/** Per class, "over the class's ground truth": the definition of each statistic for one class. */
const PER_CLASS_DEFINITIONS: Record<(typeof PER_CLASS_STATS)[number], string> = {
  AP: `${COCO_STAT_DEFINITIONS.AP}, this class`,
  AP50: `${COCO_STAT_DEFINITIONS.AP50}, this class`,
  AP75: `${COCO_STAT_DEFINITIONS.AP75}, this class`,
  AR100: `${COCO_STAT_DEFINITIONS.AR100}, this class`,
};

/** A keypoint summary (pycocotools' keypoint protocol) recalls at 20 detections, not 100. */
function recallAt20(summary: AnyCocoSummary): boolean {
  return "AR" in summary;
}

/** A summary's or a class's values by statistic name (either protocol's names). */
type Values = Readonly<Record<string, number | null | undefined>>;

export function PerClassAP({ summary, selectedLabel, onSelectLabel }: {
  summary: AnyCocoSummary;
  selectedLabel?: string | null;
  onSelectLabel?: (label: string) => void;
}) {
  const rows = Object.entries(summary.per_class as Readonly<Record<string, Values>>);
  const at20 = recallAt20(summary);
  const shown = (n: (typeof PER_CLASS_STATS)[number]) => (at20 && n === "AR100" ? "AR20" : n);
  return (
    <section className="panel per-class-ap" aria-labelledby="per-class-ap-title">
      <div>
        <h2 id="per-class-ap-title">Per-class AP and AR (COCO)</h2>
        <p className="muted">COCO evaluation of each class at every confidence (the sliders do not apply); "-": nothing to measure.</p>
        <div className="ap-table-box">
          <table className="report-table" aria-label="Per-class AP and AR">
            <thead>
              <tr>
                <th scope="col">Class</th>
                {PER_CLASS_STATS.map((n) => <th key={n} scope="col" className="num"><abbr title={at20 && n === "AR100" ? "Average recall over OKS 0.50:0.95 with 20 detections per image, this class" : PER_CLASS_DEFINITIONS[n]}>{shown(n)}</abbr></th>)}
              </tr>
            </thead>
            <tbody>
              {rows.map(([label, stats]) => (
                <tr key={label} className={selectedLabel === label ? "selected" : undefined}>
                  <th scope="row">
                    {onSelectLabel ? <button type="button" aria-pressed={selectedLabel === label} onClick={() => onSelectLabel(label)}>{label}</button> : label}
                  </th>
                  {PER_CLASS_STATS.map((n) => <td key={n} className="num">{formatScore(stats[shown(n)] ?? null)}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
      <MeanScores summary={summary} />
    </section>
  );
}

/** The mean scores over every class as horizontal bars on a 0..1 scale (the COCO summary's own numbers). */
export function MeanScores({ summary }: { summary: AnyCocoSummary }) {
  const values = summary as unknown as Values;
  return (
    <figure className="mean-scores" aria-label="Mean scores">
      <figcaption><strong>Mean scores</strong> <span className="muted">(all classes, 0 to 1)</span></figcaption>
      {PER_CLASS_STATS.map((n) => {
        const value = values[recallAt20(summary) && n === "AR100" ? "AR" : n] ?? null;
        const shown = value !== null && value >= 0 ? value : 0;
        return (
          <div key={n} className="bar-row" title={COCO_STAT_DEFINITIONS[n]} data-stat={n}>
            <abbr title={COCO_STAT_DEFINITIONS[n]}>m{recallAt20(summary) && n === "AR100" ? "AR20" : n}</abbr>
            <div className="track" role="meter" aria-label={`m${n}`} aria-valuemin={0} aria-valuemax={1} aria-valuenow={shown}>
              <div className="bar" style={{ width: `${(shown * 100).toFixed(1)}%` }} />
            </div>
            <span className="num">{formatScore(value)}</span>
          </div>
        );
      })}
    </figure>
  );
}
