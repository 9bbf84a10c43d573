// A horizontal bar chart in plain SVG: one bar per member, labelled, no chart library needed.
export type Bar = { label: string; value: number };

const ROW = 36;
const LABEL = 110;
const WIDTH = 360;

export function BarChart({ bars, title }: { bars: Bar[]; title: string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const plot = WIDTH - LABEL - 40;
  const height = Math.max(ROW, bars.length * ROW);
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${WIDTH} ${height}`}
      role="img"
      aria-label={title}
      preserveAspectRatio="xMinYMin meet"
    >
      <title>{title}</title>
      {bars.map((bar, i) => {
        const width = (bar.value / max) * plot;
        const y = i * ROW;
        return (
          <g key={bar.label} transform={`translate(0 ${y})`}>
            <text x={LABEL - 8} y={ROW / 2 + 5} textAnchor="end" className="chart-label">
              {bar.label}
            </text>
            <rect x={LABEL} y={8} width={Math.max(width, bar.value ? 2 : 0)} height={ROW - 16} rx={4} className="chart-bar" />
            <text x={LABEL + width + 6} y={ROW / 2 + 5} className="chart-value">
              {bar.value}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
