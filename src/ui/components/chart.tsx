/**
 * A uPlot time-series chart that follows its container's width. uPlot draws on
 * a canvas and positions its parts through element.style, which the page's
 * Content-Security-Policy allows (it forbids only style attributes in markup
 * and inline style sheets).
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Line {
  label: string;
  stroke: string;
}

const HEIGHT = 240;

export function Chart(props: { lines: readonly Line[]; columns: number[][]; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = props.lines.map((l) => l.label).join('|');

  // Rebuilt only when the lines change; new data goes through setData below.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(
      {
        width: Math.max(el.clientWidth, 200),
        height: HEIGHT,
        scales: { x: { time: true } },
        series: [
          {},
          ...props.lines.map((l) => ({
            label: l.label,
            stroke: l.stroke,
            width: 2,
            points: { show: false },
          })),
        ],
        axes: [{}, { size: 50 }],
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
      },
      props.columns as uPlot.AlignedData,
      el,
    );
    plot.current = u;
    const resize = new ResizeObserver(() => {
      u.setSize({ width: Math.max(el.clientWidth, 200), height: HEIGHT });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(props.columns as uPlot.AlignedData);
  }, [props.columns]);

  return <div class="chart" ref={box} role="img" aria-label={props.label} />;
}
