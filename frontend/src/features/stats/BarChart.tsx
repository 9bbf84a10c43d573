// A horizontal bar chart in plain HTML: one row per member. Labels are text in a grid column
// that grows with the longest name and wraps, so no name is ever cut off (an SVG label is).
export type Bar = { label: string; value: number };

export function BarChart({ bars, title }: { bars: Bar[]; title: string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  return (
    <div className="chart" role="img" aria-label={title}>
      {bars.map((bar) => (
        <div key={bar.label} className="chart-row">
          <span className="chart-label">{bar.label}</span>
          <span className="chart-track">
            <span
              className="chart-bar"
              data-share={bar.value / max}
              style={{ width: `${(bar.value / max) * 85}%`, minWidth: bar.value ? 2 : 0 }}
            />
            <span className="chart-value">{bar.value}</span>
          </span>
        </div>
      ))}
    </div>
  );
}
