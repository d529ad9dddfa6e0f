/** Goals, pass/fail, and the Markdown tables printed to stdout and written to bench/results/. */
import type { Machine } from './processes.js';

export interface Goal {
  figure: string;
  value: number;
  unit: string;
  comparator: '<=' | '>=' | '<';
  limit: number;
  met: boolean;
}

export function goal(figure: string, value: number, unit: string, comparator: Goal['comparator'], limit: number): Goal {
  const met = Number.isFinite(value) && (comparator === '<=' ? value <= limit : comparator === '>=' ? value >= limit : value < limit);
  return { figure, value, unit, comparator, limit, met };
}

/** One measure: its settings, a detail table (direct vs balancer), its goals and the raw figures for JSON. */
export interface Section {
  id: string;
  title: string;
  settings: string[];
  header: string[];
  rows: string[][];
  goals: Goal[];
  notes: string[];
  raw: unknown;
}

export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function goalText(item: Goal): string {
  const digits = Number.isInteger(item.limit) ? 0 : 2;
  return `${item.comparator === '<=' ? '≤' : item.comparator === '>=' ? '≥' : '<'} ${fmt(item.limit, digits)} ${item.unit}`;
}

function goalRows(goals: Goal[]): string[][] {
  return goals.map((item) => [item.figure, `${fmt(item.value, Math.abs(item.value) < 10 ? 3 : 1)} ${item.unit}`, goalText(item), item.met ? 'met' : 'MISSED']);
}

export function renderSection(section: Section): string {
  const parts = [`### ${section.title}`, '', section.settings.map((line) => `- ${line}`).join('\n'), '', markdownTable(section.header, section.rows)];
  if (section.goals.length > 0) parts.push('', markdownTable(['goal figure', 'measured', 'goal', 'result'], goalRows(section.goals)));
  if (section.notes.length > 0) parts.push('', section.notes.map((line) => `- ${line}`).join('\n'));
  return parts.join('\n');
}

export function renderSummary(sections: Section[]): string {
  const rows = sections.flatMap((section) => goalRows(section.goals).map((row) => [section.id, ...row]));
  return markdownTable(['#', 'figure', 'measured', 'goal', 'result'], rows);
}

export function renderMachine(machine: Machine, versions: Record<string, string>): string {
  const rows = [
    ['CPU', machine.cpuModel],
    ['cores', String(machine.cores)],
    ['memory', `${machine.memoryGiB} GiB`],
    ['Node.js', machine.node],
    ['kernel', `${machine.kernel} (${machine.platform})`],
    ...Object.entries(versions),
  ];
  return markdownTable(['machine', ''], rows);
}
