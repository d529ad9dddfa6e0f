/** A small hand-written SVG line chart: quota used (share of summed TPM) against offered load, one line per contender. */

export interface Series {
  name: string;
  /** [offered %, used %]; NaN values are skipped. */
  points: [number, number][];
}

const palette: Record<string, string> = { direct: '#7f7f7f', 'aoai-lb': '#d62728', nginx: '#2ca02c', Portkey: '#1f77b4' };
const fallback = ['#9467bd', '#8c564b', '#e377c2', '#17becf'];
const dashes: Record<string, string> = { direct: '6 4', nginx: '2 3', Portkey: '10 3 2 3' };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function quotaChart(series: Series[], options: { title: string; subtitle: string; xs: number[] }): string {
  const width = 720;
  const height = 420;
  const left = 64;
  const right = 170;
  const top = 58;
  const bottom = 56;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xMin = Math.min(...options.xs) - 10;
  const xMax = Math.max(...options.xs) + 10;
  const yMin = 0;
  const yMax = 130;
  const x = (value: number): number => left + ((value - xMin) / (xMax - xMin)) * plotW;
  const y = (value: number): number => top + plotH - ((value - yMin) / (yMax - yMin)) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="${left}" y="24" font-size="15" font-weight="bold">${escape(options.title)}</text>`);
  parts.push(`<text x="${left}" y="42" fill="#555">${escape(options.subtitle)}</text>`);
  for (let tick = 0; tick <= yMax; tick += 20) {
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${left - 8}" y="${y(tick) + 4}" text-anchor="end" fill="#444">${tick} %</text>`);
  }
  for (const tick of options.xs) {
    parts.push(`<line x1="${x(tick)}" x2="${x(tick)}" y1="${top}" y2="${top + plotH}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${x(tick)}" y="${top + plotH + 18}" text-anchor="middle" fill="#444">${tick} %</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${height - 14}" text-anchor="middle">offered load, share of the summed TPM</text>`);
  parts.push(`<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">tokens used, share of the summed TPM</text>`);
  // The most any balancer can deliver: what was offered, up to the quota.
  const ideal = [xMin, 100, xMax].map((value) => `${x(value)},${y(Math.min(value, 100))}`).join(' ');
  parts.push(`<polyline points="${ideal}" fill="none" stroke="#bbb" stroke-width="6" stroke-linejoin="round" opacity="0.6"/>`);
  series.forEach((item, index) => {
    const color = palette[item.name] ?? fallback[index % fallback.length]!;
    const points = item.points.filter(([, value]) => Number.isFinite(value));
    if (points.length > 0) {
      const dash = dashes[item.name];
      parts.push(
        `<polyline points="${points.map(([px, py]) => `${x(px)},${y(py)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2.5"${dash === undefined ? '' : ` stroke-dasharray="${dash}"`}/>`,
      );
      for (const [px, py] of points)
        parts.push(
          `<circle cx="${x(px)}" cy="${y(py)}" r="4" fill="${color}"><title>${escape(item.name)}: ${py.toFixed(1)} % at ${px} % offered</title></circle>`,
        );
    }
    const legendY = top + 14 + index * 22;
    parts.push(`<line x1="${left + plotW + 16}" x2="${left + plotW + 44}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2.5"/>`);
    parts.push(`<text x="${left + plotW + 50}" y="${legendY + 4}">${escape(item.name)}${points.length === 0 ? ' (did not run)' : ''}</text>`);
  });
  const legendY = top + 14 + series.length * 22;
  parts.push(`<line x1="${left + plotW + 16}" x2="${left + plotW + 44}" y1="${legendY}" y2="${legendY}" stroke="#bbb" stroke-width="6" opacity="0.6"/>`);
  parts.push(`<text x="${left + plotW + 50}" y="${legendY + 4}">ideal: min(offered, 100 %)</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
